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
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { applyMigrations } from '../src/metadata/migrations.ts';
import { PostgresCaller } from '../src/metadata/postgres-caller.ts';
import { migrationsFolder, sqlFunctionsFolder } from '../src/project-files.ts';
import { manifestDigest } from './support/manifest.ts';
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
      assert.match(first.stdout, /applied: \d+_baseline\.sql, .*supabase\/sql\n/);
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

test('one files table and dataset versions: what was stored before moves in, keys and sessions intact, as version 1', async () => {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-sql-'));
  const db = await PGlite.create();
  const migrate = (folders: { migrations: string; functions: string }) =>
    applyMigrations(
      (work) =>
        db.transaction((tx) =>
          work({
            exec: async (script) => {
              await tx.exec(script);
            },
            query: async (text, params = []) => (await tx.query<Record<string, unknown>>(text, params)).rows,
          }),
        ),
      folders,
    );
  try {
    const baselineOnly = path.join(scratch, 'migrations');
    const noFunctions = path.join(scratch, 'sql');
    await fs.mkdir(baselineOnly);
    await fs.mkdir(noFunctions);
    const [baseline] = (await fs.readdir(migrationsFolder())).sort();
    assert.match(baseline ?? '', /_baseline\.sql$/);
    await fs.copyFile(path.join(migrationsFolder(), baseline as string), path.join(baselineOnly, baseline as string));
    await migrate({ migrations: baselineOnly, functions: noFunctions });
    const sha = 'a'.repeat(64);
    await db.exec(`
      insert into datasets (id, owner_id, name, state) values ('00000000-0000-4000-8000-000000000001', 'o', 'credit', 'ready');
      insert into dataset_files (id, dataset_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id) values
        ('00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000001', 'o', 'raw/zebra.csv', 'k1', 'text/csv', 12, '${'b'.repeat(64)}', 'ready', '00000000-0000-4000-8000-000000000011'),
        ('00000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000001', 'o', 'raw/äpfel "x".csv', 'k2', 'text/csv', 3, '${'c'.repeat(64)}', 'ready', '00000000-0000-4000-8000-000000000012');
      insert into models (id, owner_id, dataset_id, name, version, format, safe_to_load, filename, object_key, content_type, size, sha256, etag, state)
        values ('00000000-0000-4000-8000-000000000002', 'o', '00000000-0000-4000-8000-000000000001', 'xgb', 1, 'xgboost-json', true,
                'm.json', 'models/credit/xgb/v1-00000000-0000-4000-8000-000000000002/m.json', 'application/json', 7, '${sha}', 'e1', 'ready');
      insert into explanations (id, owner_id, model_id, dataset_id, method, filename, object_key, content_type, state)
        values ('00000000-0000-4000-8000-000000000003', 'o', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
                'shap', 's.parquet', 'explanations/credit/xgb-v1/shap/00000000-0000-4000-8000-000000000003/s.parquet', 'application/vnd.apache.parquet', 'pending');
      insert into upload_sessions (id, owner_id, target_type, target, row_id, object_key, storage_upload_id, size, content_type, part_size, part_count, expires_at)
        values ('00000000-0000-4000-8000-000000000004', 'o', 'explanation', '{}', '00000000-0000-4000-8000-000000000003',
                'explanations/credit/xgb-v1/shap/00000000-0000-4000-8000-000000000003/s.parquet', 'u', 9, 'application/vnd.apache.parquet', 9, 1, now() + interval '1 hour');
    `);
    await migrate({ migrations: migrationsFolder(), functions: sqlFunctionsFolder() });
    const model = (
      await db.query<{ result: Record<string, unknown> }>(
        "select xai_get_version('o', '00000000-0000-4000-8000-000000000002', null) as result",
      )
    ).rows[0]?.result;
    assert.ok(model);
    assert.equal(model.objectKey, 'models/credit/xgb/v1-00000000-0000-4000-8000-000000000002/m.json');
    assert.equal(model.filename, 'm.json');
    assert.equal(model.sha256, sha);
    assert.equal(model.size, 7);
    assert.deepEqual(
      (model.files as Array<{ path: string }>).map((file) => file.path),
      ['m.json'],
    );
    // What was stored before versions is version 1 of its dataset, pinned by its models, its digest the documented one.
    const digest = manifestDigest([
      { path: 'raw/zebra.csv', sha256: 'b'.repeat(64), size: 12 },
      { path: 'raw/äpfel "x".csv', sha256: 'c'.repeat(64), size: 3 },
    ]);
    assert.deepEqual(model.dataset, { id: '00000000-0000-4000-8000-000000000001', name: 'credit', version: 1, digest });
    const dataset = (await db.query<{ result: Record<string, unknown> }>("select xai_get_dataset('o', 'credit') as result"))
      .rows[0]?.result;
    assert.deepEqual([dataset?.version, dataset?.digest, dataset?.fileCount], [1, digest, 2]);
    const [session] = (
      await db.query<{ row_id: string; artifact_id: string; path: string }>(
        'select s.row_id, s.artifact_id, f.path from upload_sessions s join files f on f.id = s.row_id',
      )
    ).rows;
    assert.deepEqual(
      { artifact: session?.artifact_id, path: session?.path },
      { artifact: '00000000-0000-4000-8000-000000000003', path: 's.parquet' },
    );
    const [pending] = (
      await db.query<{ object_key: string; state: string }>(
        "select object_key, state from files where explanation_id = '00000000-0000-4000-8000-000000000003'",
      )
    ).rows;
    assert.deepEqual(pending, {
      object_key: 'explanations/credit/xgb-v1/shap/00000000-0000-4000-8000-000000000003/s.parquet',
      state: 'pending',
    });
  } finally {
    await db.close();
    await fs.rm(scratch, { recursive: true, force: true });
  }
});
