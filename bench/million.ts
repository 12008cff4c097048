/**
 * `BENCH_ONLY=million`: the registry at scale (#33). 10,000 datasets, 1,000,000 dataset files
 * (one dataset of 1,000), 100,000 model versions and 100,000 explanations, generated straight
 * into a database of their own, served by an API process of its own. For every list route the
 * first page and the deepest page (reached by following the cursors, as a client would), a
 * 1,000-file dataset's record, and a version manifest with a signed link for each of its 1,000
 * files: p50 of 21 each. The query plans of the list queries are printed for the bench README.
 */
import type { ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { belowRow, type Row } from './rows.ts';

interface Api {
  base: string;
}

const DATASETS = 10_000;
const FILES_PER_DATASET = 100;
const BIG_DATASET_FILES = 1_000;
const MODELS = 100_000;
const EXPLANATIONS = 100_000;

/** Generates the rows as the API would have written them (ready, counted, versions recorded). */
async function generate(sql: postgres.Sql): Promise<void> {
  await sql`insert into datasets (id, owner_id, name, tags, state, version, created_at)
    select gen_random_uuid(), 'local', 'ds-' || n, array['tabular'], 'ready', 1, now() - (n || ' seconds')::interval
    from generate_series(1, ${DATASETS}) n`;
  // 100 files in each dataset but the first, which has 1,000 (its record and manifest are measured).
  await sql`insert into files (id, dataset_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id, since_version)
    select gen_random_uuid(), d.id, 'local', 'part-' || f || '.csv', 'datasets/' || d.name || '/' || gen_random_uuid() || '/part.csv',
           'text/csv', 1000 + f, repeat('a', 64), 'ready', d.id, 1
    from datasets d, generate_series(1, ${FILES_PER_DATASET}) f where d.name like 'ds-%' and d.name <> 'ds-1'`;
  await sql`insert into files (id, dataset_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id, since_version)
    select gen_random_uuid(), d.id, 'local', 'part-' || f || '.csv', 'datasets/' || d.name || '/' || gen_random_uuid() || '/part.csv',
           'text/csv', 1000 + f, repeat('a', 64), 'ready', d.id, 1
    from datasets d, generate_series(1, ${BIG_DATASET_FILES}) f where d.name = 'ds-1'`;
  await sql`select xai_record_dataset_version(id, 1, 'local') from datasets where name like 'ds-%'`;
  // Model versions: 10 names in each of the first 1,000 datasets, 10 versions each, one file each.
  await sql`with m as (
      insert into models (id, owner_id, dataset_id, dataset_version, name, version, framework, format, safe_to_load, metrics,
                          key_prefix, state, created_at)
      select gen_random_uuid(), 'local', d.id, 1, 'm' || (n % 10), n / 10 + 1, 'xgboost', 'xgboost-json', true,
             jsonb_build_object('auc', random()), 'models/' || d.name || '/m/v' || n || '-' || gen_random_uuid() || '/', 'ready',
             now() - (n || ' seconds')::interval
      from generate_series(0, ${MODELS / 1000} - 1) n,
           (select * from datasets where name like 'ds-%' order by name limit 1000) d
      returning id, key_prefix)
    insert into files (id, model_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id)
    select gen_random_uuid(), m.id, 'local', 'm.json', m.key_prefix || 'm.json', 'application/json', 10, repeat('a', 64), 'ready', m.id
    from m`;
  await sql`update models set files_json = xai_version_files_json(id, null) where files_json is null`;
  // The metric rows xai_reserve_model writes for each model.
  await sql`select xai_sync_model_metrics(m) from models m`;
  // One explanation of each model version.
  await sql`with e as (
      insert into explanations (id, owner_id, model_id, dataset_id, dataset_version, method, key_prefix, state, created_at,
                                importances)
      select gen_random_uuid(), 'local', m.id, m.dataset_id, 1, 'shap', 'explanations/' || m.id || '/', 'ready', m.created_at,
             '{"source": "summary"}'
      from models m limit ${EXPLANATIONS}
      returning id, key_prefix)
    insert into files (id, explanation_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id)
    select gen_random_uuid(), e.id, 'local', 'shap.json', e.key_prefix || 'shap.json', 'application/json', 10, repeat('a', 64),
           'ready', e.id
    from e`;
  await sql`update explanations set files_json = xai_version_files_json(null, id) where files_json is null`;
  await sql`vacuum analyze`;
}

async function p50(url: string, median: (values: number[]) => number): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < 21; run += 1) {
    const t0 = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    times.push(performance.now() - t0);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  }
  return median(times);
}

/** The cursor of the page `depth` rows deep, following nextCursor as a client would (pages of 100). */
async function cursorAt(base: string, path: string, depth: number): Promise<{ cursor: string; depth: number }> {
  let cursor: string | null = null;
  let seen = 0;
  const separator = path.includes('?') ? '&' : '?';
  while (seen < depth) {
    const response = await fetch(`${base}${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const page = (await response.json()) as { items: unknown[]; nextCursor: string | null };
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    seen += page.items.length;
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  if (!cursor) throw new Error(`${path}: no page ${depth} rows deep`);
  return { cursor, depth: seen };
}

export async function benchMillion(context: {
  adminUrl: string;
  startApi: (env: Record<string, string>) => Promise<Api & { child: ChildProcess }>;
  apiEnv: Record<string, string>;
  median: (values: number[]) => number;
  log: (line: string) => void;
}): Promise<Row[]> {
  const { adminUrl, median } = context;
  const name = `xai_bench_million_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  const results: Row[] = [];
  // The API migrates its database as it starts; the rows go in after.
  const api = await context.startApi({ ...context.apiEnv, DATABASE_URL: databaseUrl });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const t0 = performance.now();
    await generate(sql);
    context.log(`million: rows generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const routes = [
      ['GET /datasets', '/datasets'],
      ['GET /models', '/models'],
      ['GET /models?sort=metrics.auc', '/models?sort=metrics.auc'],
      ['GET /explanations', '/explanations'],
      ['GET /datasets/ds-1/versions', '/datasets/ds-1/versions'],
    ] as const;
    for (const [label, path] of routes) {
      const total = label.startsWith('GET /datasets/ds-1') ? 1 : label === 'GET /datasets' ? DATASETS : MODELS;
      const first = await p50(`${api.base}${path}${path.includes('?') ? '&' : '?'}limit=20`, median);
      results.push(belowRow(`${label}, first page of 20 (ms)`, `p50 of 21; ${total.toLocaleString('en')} rows`, [first], 10));
      if (total < 1000) continue;
      const { cursor, depth } = await cursorAt(api.base, path, total - 100);
      const deep = await p50(
        `${api.base}${path}${path.includes('?') ? '&' : '?'}limit=20&cursor=${encodeURIComponent(cursor)}`,
        median,
      );
      results.push(
        belowRow(
          `${label}, a page ${depth.toLocaleString('en')} rows deep (ms)`,
          'p50 of 21, the cursor the page before gave',
          [deep],
          10,
        ),
      );
    }
    const record = await p50(`${api.base}/datasets/ds-1`, median);
    results.push(
      belowRow('GET /datasets/{d}, a dataset of 1,000 files (ms)', 'p50 of 21, its record with every file', [record], 50),
    );
    const manifest = await p50(`${api.base}/datasets/ds-1/versions/1?links=true`, median);
    results.push(
      belowRow(
        'GET /datasets/{d}/versions/{v}?links=true, 1,000 files (ms)',
        'p50 of 21, the manifest with a signed link per file',
        [manifest],
        50,
      ),
    );
    // The plans that carry the lists, for the bench README.
    for (const [label, query] of [
      [
        'datasets page (the query inside xai_list_datasets)',
        `select id from datasets where owner_id = 'local' and state = 'ready' order by created_at desc, id desc limit 21`,
      ],
      [
        'models page (inside xai_list_models)',
        `select id from models where owner_id = 'local' and state = 'ready' order by created_at desc, id desc limit 21`,
      ],
      [
        'models page by a metric (inside xai_list_models)',
        `select mm.model_id from model_metrics mm join models m on m.id = mm.model_id where mm.owner_id = 'local' and mm.metric = 'auc' and m.state = 'ready' order by mm.value desc, m.created_at desc, m.id desc limit 21`,
      ],
      [
        'explanations page (inside xai_list_explanations)',
        `select id from explanations where owner_id = 'local' and state = 'ready' order by created_at desc, id desc limit 21`,
      ],
      [
        'a version manifest (xai_dataset_version_files)',
        `select * from xai_dataset_version_files((select id from datasets where name = 'ds-1'), 1)`,
      ],
    ] as const) {
      const plan = await sql.unsafe(`explain (costs off) ${query}`);
      context.log(`million: plan of the ${label}: ${plan.map((row) => Object.values(row)[0]).join(' / ')}`);
    }
  } finally {
    await sql.end();
    const exited = new Promise((resolve) => api.child.once('exit', resolve));
    api.child.kill('SIGTERM');
    await exited;
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
  return results;
}
