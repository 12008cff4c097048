/**
 * Brings a database to this release's SQL, in two steps under one advisory lock and one
 * transaction:
 *  1. tables: supabase/migrations/*.sql in name order, each once, recorded in xai_migrations
 *     (append-only: a table changes only by a migration added after the others);
 *  2. functions: supabase/sql/*.sql, every function in its current form in exactly one file.
 *     When their digest differs from the one last applied, every `xai_*` function is dropped and
 *     the files run in name order, so a function removed or re-typed leaves nothing behind.
 * Used for Postgres and PGlite at start, and by `npm run migrate` (Supabase without DATABASE_URL).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { migrationsFolder, sqlFunctionsFolder } from '../project-files.ts';

export interface MigrationSession {
  exec(script: string): Promise<void>;
  query(text: string, params?: string[]): Promise<Record<string, unknown>[]>;
}

export type RunInTransaction = <T>(work: (session: MigrationSession) => Promise<T>) => Promise<T>;

/** Any fixed number: serializes concurrent starts of several instances on one database. */
const MIGRATION_LOCK = 7_346_001;

/** Every overload of every function of ours, as `drop function` names it. */
const OUR_FUNCTIONS_SQL = `select p.oid::regprocedure::text as signature from pg_proc p
  where p.pronamespace = current_schema()::regnamespace and p.proname like 'xai\\_%'`;

export interface SqlFiles {
  migrations: string;
  functions: string;
}

/** What was applied: migration file names, then `supabase/sql` when the functions were (re)made. */
export async function applyMigrations(
  transaction: RunInTransaction,
  folders: SqlFiles = { migrations: migrationsFolder(), functions: sqlFunctionsFolder() },
): Promise<string[]> {
  const migrations = await sqlFiles(folders.migrations);
  const functions = await sqlFiles(folders.functions);
  const digest = digestOf(functions);
  return transaction(async (session) => {
    await session.exec(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await session.exec(
      `create table if not exists xai_migrations (name text primary key, applied_at timestamptz not null default now());
       alter table xai_migrations enable row level security;
       create table if not exists xai_sql_functions (digest text primary key, applied_at timestamptz not null default now());
       alter table xai_sql_functions enable row level security;`,
    );
    const applied = new Set((await session.query('select name from xai_migrations')).map((row) => String(row.name)));
    const newlyApplied: string[] = [];
    for (const file of migrations) {
      if (applied.has(file.name)) continue;
      await session.exec(file.text);
      await session.query('insert into xai_migrations (name) values ($1)', [file.name]);
      newlyApplied.push(file.name);
    }
    const current = await session.query('select 1 from xai_sql_functions where digest = $1', [digest]);
    if (current.length === 0 || newlyApplied.length > 0) {
      for (const row of await session.query(OUR_FUNCTIONS_SQL)) {
        await session.exec(`drop function ${String(row.signature)}`);
      }
      for (const file of functions) await session.exec(file.text);
      await session.exec(REVOKE_FROM_CLIENT_ROLES);
      await session.exec('delete from xai_sql_functions');
      await session.query('insert into xai_sql_functions (digest) values ($1)', [digest]);
      newlyApplied.push('supabase/sql');
    }
    return newlyApplied;
  });
}

/**
 * On Supabase, functions are callable by its anon and authenticated roles unless revoked: the
 * API reaches them with the service role only, so nothing else may call them.
 */
const REVOKE_FROM_CLIENT_ROLES = `do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    execute 'revoke execute on all functions in schema public from anon, authenticated, public';
  end if;
end $$`;

interface SqlFile {
  name: string;
  text: string;
}

async function sqlFiles(folder: string): Promise<SqlFile[]> {
  const names = (await fs.readdir(folder)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await fs.readFile(path.join(folder, name), 'utf8') })));
}

function digestOf(files: SqlFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.name}\n${file.text}\n`);
  return hash.digest('hex');
}

/** Both folders' files, for a cache key (the PGlite template's). */
export async function sqlSourceDigest(folders?: SqlFiles): Promise<string> {
  const { migrations, functions } = folders ?? { migrations: migrationsFolder(), functions: sqlFunctionsFolder() };
  return digestOf([...(await sqlFiles(migrations)), ...(await sqlFiles(functions))]);
}
