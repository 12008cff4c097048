/**
 * Applies supabase/migrations/*.sql in name order, each once, recorded in xai_migrations.
 * Used for Postgres and PGlite at start; Supabase users apply the same files with `supabase db push`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { migrationsFolder } from '../project-files.ts';

export interface MigrationSession {
  exec(script: string): Promise<void>;
  query(text: string, params?: string[]): Promise<Record<string, unknown>[]>;
}

export type RunInTransaction = <T>(work: (session: MigrationSession) => Promise<T>) => Promise<T>;

/** Any fixed number: serializes concurrent starts of several instances on one database. */
const MIGRATION_LOCK = 7_346_001;

export async function applyMigrations(transaction: RunInTransaction, folder = migrationsFolder()): Promise<string[]> {
  const files = (await fs.readdir(folder)).filter((name) => name.endsWith('.sql')).sort();
  return transaction(async (session) => {
    await session.exec(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await session.exec(
      'create table if not exists xai_migrations (name text primary key, applied_at timestamptz not null default now())',
    );
    await session.exec('alter table xai_migrations enable row level security');
    const rows = await session.query('select name from xai_migrations');
    const applied = new Set(rows.map((row) => String(row.name)));
    const newlyApplied: string[] = [];
    for (const file of files) {
      if (applied.has(file)) continue;
      await session.exec(await fs.readFile(path.join(folder, file), 'utf8'));
      await session.query('insert into xai_migrations (name) values ($1)', [file]);
      newlyApplied.push(file);
    }
    return newlyApplied;
  });
}
