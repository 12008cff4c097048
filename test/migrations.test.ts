/**
 * The SQL comes in two parts: tables (supabase/migrations, append-only, each applied once) and
 * functions (supabase/sql, current form, re-applied whole when they change). `npm run migrate`
 * is the way Supabase users without DATABASE_URL in the API apply both.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { applyMigrations } from '../src/metadata/migrations.ts';
import { PostgresCaller } from '../src/metadata/postgres-caller.ts';
import { migrationsFolder, sqlFunctionsFolder } from '../src/project-files.ts';
import { createTestDatabase, postgresSkipReason } from './support/postgres.ts';

const run = promisify(execFile);

/** Every function of ours, name and argument types. */
async function ourFunctions(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select p.oid::regprocedure::text as signature from pg_proc p
      where p.pronamespace = current_schema()::regnamespace and p.proname like 'xai\\_%' order by 1`;
    return rows.map((row) => String(row.signature));
  } finally {
    await sql.end();
  }
}

test('no SQL function is defined in more than one file, and none in a migration', async () => {
  const definitions = new Map<string, string[]>();
  for (const folder of [migrationsFolder(), sqlFunctionsFolder()]) {
    for (const name of await fs.readdir(folder)) {
      const text = await fs.readFile(path.join(folder, name), 'utf8');
      for (const match of text.matchAll(/create (?:or replace )?function (xai_[a-z0-9_]+)\(/g)) {
        const fn = match[1] as string;
        definitions.set(fn, [...(definitions.get(fn) ?? []), `${path.basename(folder)}/${name}`]);
      }
    }
  }
  assert.ok(definitions.size > 50, `found only ${definitions.size} functions`);
  for (const [fn, files] of definitions) {
    assert.equal(files.length, 1, `${fn} is defined in ${files.join(', ')}`);
    assert.match(files[0] as string, /^sql\//, `${fn} is defined in a migration`);
  }
});

describe('npm run migrate', { skip: postgresSkipReason }, () => {
  test('applies the tables and the functions, then nothing; a changed function file is applied whole', async () => {
    const database = await createTestDatabase();
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-sql-'));
    try {
      const cli = path.resolve('src/cli/migrate.ts');
      const env = { ...process.env, DATABASE_URL: database.url };
      const first = await run(process.execPath, [cli], { env });
      assert.match(first.stdout, /applied: \d+_baseline\.sql, supabase\/sql/);
      const functions = await ourFunctions(database.url);
      assert.ok(functions.includes('xai_get_dataset(text,text)'), functions.join('\n'));
      const again = await run(process.execPath, [cli], { env });
      assert.match(again.stdout, /already up to date/);

      // A function file that changes: a function it no longer defines is gone, a new one is there.
      const changed = path.join(scratch, 'sql');
      await fs.cp(sqlFunctionsFolder(), changed, { recursive: true });
      const rates = path.join(changed, '60_rate_limits.sql');
      await fs.writeFile(rates, 'create or replace function xai_probe() returns integer language sql as $$ select 7 $$;\n');
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      try {
        const applied = await applyMigrations(
          (work) =>
            sql.begin((tx) =>
              work({
                exec: async (script) => {
                  await tx.unsafe(script);
                },
                query: async (text, params = []) => [...(await tx.unsafe(text, params))],
              }),
            ) as never,
          { migrations: migrationsFolder(), functions: changed },
        );
        assert.deepEqual(applied, ['supabase/sql']);
      } finally {
        await sql.end();
      }
      const after = await ourFunctions(database.url);
      assert.ok(after.includes('xai_probe()'));
      assert.ok(!after.includes('xai_rate_limit_add(jsonb,bigint,integer)'), 'a function the files dropped is still there');
      assert.equal(after.length, functions.length, 'one function replaced by one');
      // And back: the real files again, through the API's own caller.
      const caller = new PostgresCaller(database.url, { max: 1 });
      try {
        assert.deepEqual(await caller.migrate(), ['supabase/sql']);
      } finally {
        await caller.close();
      }
      assert.deepEqual(await ourFunctions(database.url), functions);
    } finally {
      await fs.rm(scratch, { recursive: true, force: true });
      await database.drop();
    }
  });
});
