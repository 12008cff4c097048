/**
 * `npm run import` (src/cli/import.ts) as an operator runs it, a real process against real
 * backends: trees generated in the platform's exact layout (IEEE-CIS, Give Me Some Credit,
 * German credit, with models and explanations), imported from a folder into the embedded default
 * and from a bucket on the S3 test server into Postgres + S3. Checked through a real server
 * process: every file's bytes and SHA-256, profiles, model versions in order, explanations of
 * the latest model; the dry run changes nothing; a second run copies nothing; a run killed
 * mid-copy and run again ends exactly where an uninterrupted one does; the source is untouched.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import postgres from 'postgres';
import { projectRoot } from '../src/project-files.ts';
import { postgresSkipReason } from './support/postgres.ts';
import type { TestS3Server } from './support/s3-server.ts';
import { startServerProcess } from './support/server-process.ts';
import { s3AndPostgres, tempDir } from './support/test-stack.ts';

const MiB = 1024 * 1024;

function csv(rows: number, columns: string[], seed: number): Buffer {
  const lines = [columns.join(',')];
  for (let i = 0; i < rows; i += 1) lines.push(columns.map((_, c) => ((i * 31 + c * 7 + seed) % 997) / 10).join(','));
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** The platform's tree: keys relative to its root → bytes. */
function platformTree(bigCsvBytes = 0): Map<string, Buffer> {
  const parquet = Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'TransactionAmt', data: Float64Array.from({ length: 500 }, (_, i) => i * 1.5), type: 'DOUBLE' },
        { name: 'isFraud', data: Int32Array.from({ length: 500 }, (_, i) => i % 2), type: 'INT32' },
      ],
    }),
  );
  const tree = new Map<string, Buffer>([
    ['datasets/ieee-cis-fraud/raw/train_transaction.csv', csv(2000, ['TransactionID', 'isFraud', 'TransactionAmt'], 1)],
    ['datasets/ieee-cis-fraud/raw/train_identity.csv', csv(300, ['TransactionID', 'id_01'], 2)],
    ['datasets/ieee-cis-fraud/processed/train.parquet', parquet],
    ['datasets/give-me-some-credit/raw/cs-training.csv', csv(1500, ['SeriousDlqin2yrs', 'RevolvingUtilization', 'age'], 3)],
    ['datasets/german_credit/raw/german_credit.csv', csv(1000, ['age', 'credit_amount', 'default'], 4)],
    ['models/ieee-cis-fraud/xgboost_v1.pkl', Buffer.from('\x80\x04xgboost-one')],
    ['models/ieee-cis-fraud/xgboost_v2.pkl', Buffer.from('\x80\x04xgboost-two')],
    ['models/ieee-cis-fraud/random_forest.joblib', Buffer.from('joblib-random-forest')],
    ['models/german_credit/logreg_v1.onnx', Buffer.from('onnx-logreg')],
    ['explanations/ieee-cis-fraud/shap_values.pkl', Buffer.from('\x80\x04shap')],
    ['explanations/german_credit/lime_explanations.json', Buffer.from('{"age":0.4}')],
    ['notes/README.txt', Buffer.from('not in the layout')],
    ['models/ieee-cis-fraud/Bad Name!.pkl', Buffer.from('x')],
  ]);
  if (bigCsvBytes > 0) {
    const block = csv(20_000, ['a', 'b', 'c'], 5);
    const big = Buffer.concat(Array.from({ length: Math.ceil(bigCsvBytes / block.length) }, () => block)).subarray(
      0,
      bigCsvBytes,
    );
    tree.set('datasets/zz-large-table/raw/huge.csv', big);
  }
  return tree;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function importCli(args: string[], env: Record<string, string>, killWhen?: Promise<unknown>): Promise<Cli> {
  return cli('src/cli/import.ts', args, env, killWhen);
}

/** Runs a CLI as a process; killed (SIGKILL) when `killWhen` resolves first. */
function cli(script: string, args: string[], env: Record<string, string>, killWhen?: Promise<unknown>): Promise<Cli> {
  const child = spawn(process.execPath, [path.join(projectRoot(), script), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  void killWhen?.then(() => {
    if (!exited) child.kill('SIGKILL');
  });
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Resolves once `check` answers true (polled every 10 ms), or after `ms` regardless. */
async function when(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  // A check that throws (the tables the CLI migrates are not there yet) is a no.
  while (Date.now() < deadline && !(await check().catch(() => false))) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** An S3 client of the test server's account (the source buckets are filled with it). */
function bucketClient(t: TestContext, s3: TestS3Server): S3Client {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'auto',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.config.accessKeyId, secretAccessKey: s3.config.secretAccessKey },
  });
  t.after(() => client.destroy());
  return client;
}

interface StoredState {
  datasets: Record<string, Record<string, { sha256: string; size: number; rows: number | null }>>;
  versions: Record<string, number>;
  models: string[];
  explanations: string[];
}

/** What a server on these settings serves: every file (bytes downloaded and hashed), versions, models, explanations. */
async function servedState(t: TestContext, env: Record<string, string>): Promise<StoredState> {
  const server = startServerProcess({ ...env, PORT: '0' }, t);
  const base = await server.listening();
  const json = async <T>(url: string): Promise<T> => {
    const response = await fetch(`${base}${url}`);
    assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const state: StoredState = { datasets: {}, versions: {}, models: [], explanations: [] };
  const { items } = await json<{ items: Array<{ name: string }> }>('/datasets?limit=100');
  for (const { name } of items) {
    const dataset = await json<{
      version: number;
      files: Array<{ id: string; path: string; sha256: string; size: number; profile: { rows?: number } | null }>;
    }>(`/datasets/${name}`);
    state.versions[name] = dataset.version;
    state.datasets[name] = {};
    for (const file of dataset.files) {
      const link = await json<{ url: string }>(`/datasets/${name}/files/${file.id}/download`);
      const bytes = Buffer.from(await (await fetch(new URL(link.url, base))).arrayBuffer());
      assert.equal(sha256(bytes), file.sha256, `${name}/${file.path}: the stored bytes have the recorded SHA-256`);
      state.datasets[name][file.path] = { sha256: file.sha256, size: file.size, rows: file.profile?.rows ?? null };
    }
  }
  const models = await json<{ items: Array<{ dataset: { name: string }; name: string; version: number; sha256: string }> }>(
    '/models?limit=100&sort=createdAt&order=asc',
  );
  state.models = models.items.map((m) => `${m.dataset.name}/${m.name} v${m.version} ${m.sha256}`).sort();
  const explanations = await json<{
    items: Array<{
      dataset: { name: string };
      model: { name: string; version: number };
      method: string;
      files: Array<{ path: string; sha256: string }>;
    }>;
  }>('/explanations?limit=100');
  state.explanations = explanations.items
    .map(
      (e) => `${e.dataset.name}: ${e.method} of ${e.model.name} v${e.model.version}: ${e.files[0]?.path} ${e.files[0]?.sha256}`,
    )
    .sort();
  server.child.kill('SIGTERM');
  await server.exited;
  return state;
}

/** What the tree must become. */
function expectedState(tree: Map<string, Buffer>): Omit<StoredState, 'versions'> {
  const file = (key: string) => {
    const bytes = tree.get(key) as Buffer;
    return { sha256: sha256(bytes), size: bytes.length };
  };
  const datasets: StoredState['datasets'] = {
    'ieee-cis-fraud': {
      'raw/train_transaction.csv': { ...file('datasets/ieee-cis-fraud/raw/train_transaction.csv'), rows: 2000 },
      'raw/train_identity.csv': { ...file('datasets/ieee-cis-fraud/raw/train_identity.csv'), rows: 300 },
      'processed/train.parquet': { ...file('datasets/ieee-cis-fraud/processed/train.parquet'), rows: 500 },
    },
    'give-me-some-credit': { 'raw/cs-training.csv': { ...file('datasets/give-me-some-credit/raw/cs-training.csv'), rows: 1500 } },
    'german-credit': { 'raw/german_credit.csv': { ...file('datasets/german_credit/raw/german_credit.csv'), rows: 1000 } },
  };
  const huge = tree.get('datasets/zz-large-table/raw/huge.csv');
  if (huge) {
    // Every line after the header is a row, the cut-off last one too (and the blocks' repeated headers).
    const lines = huge.toString().split('\n');
    if (lines.at(-1) === '') lines.pop();
    datasets['zz-large-table'] = { 'raw/huge.csv': { ...file('datasets/zz-large-table/raw/huge.csv'), rows: lines.length - 1 } };
  }
  return {
    datasets,
    models: [
      `german-credit/logreg v1 ${file('models/german_credit/logreg_v1.onnx').sha256}`,
      `ieee-cis-fraud/random_forest v1 ${file('models/ieee-cis-fraud/random_forest.joblib').sha256}`,
      `ieee-cis-fraud/xgboost v1 ${file('models/ieee-cis-fraud/xgboost_v1.pkl').sha256}`,
      `ieee-cis-fraud/xgboost v2 ${file('models/ieee-cis-fraud/xgboost_v2.pkl').sha256}`,
    ],
    explanations: [
      `german-credit: lime of logreg v1: lime_explanations.json ${file('explanations/german_credit/lime_explanations.json').sha256}`,
      `ieee-cis-fraud: shap of xgboost v2: shap_values.pkl ${file('explanations/ieee-cis-fraud/shap_values.pkl').sha256}`,
    ],
  };
}

async function writeTree(root: string, tree: Map<string, Buffer>): Promise<void> {
  for (const [key, bytes] of tree) {
    await fs.mkdir(path.dirname(path.join(root, key)), { recursive: true });
    await fs.writeFile(path.join(root, key), bytes);
  }
}

function assertImported(state: StoredState, tree: Map<string, Buffer>): void {
  const expected = expectedState(tree);
  assert.deepEqual(state.datasets, expected.datasets);
  assert.deepEqual(state.models, expected.models);
  assert.deepEqual(state.explanations, expected.explanations);
}

describe('npm run import', () => {
  test('a folder in the platform layout into the embedded default: plan, import, idempotent re-run', async (t) => {
    const dir = await tempDir(t, 'xai-import-');
    const tree = platformTree();
    await writeTree(path.join(dir, 'tree'), tree);
    const env = { DATA_DIR: path.join(dir, 'data') };

    const dry = await importCli(['--from', path.join(dir, 'tree'), '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^import from .*: 11 file\(s\)/);
    assert.match(dry.stdout, /datasets\/german_credit\/raw\/german_credit\.csv → raw\/german_credit\.csv/);
    assert.match(dry.stdout, /^dataset german-credit: 1 file/m);
    assert.match(dry.stdout, /model ieee-cis-fraud\/xgboost version 2 ← models\/ieee-cis-fraud\/xgboost_v2\.pkl/);
    assert.match(dry.stdout, /model ieee-cis-fraud\/random_forest version 1 ← models\/ieee-cis-fraud\/random_forest\.joblib/);
    assert.match(dry.stdout, /not imported: notes\/README\.txt: not inside a dataset's folder/);
    assert.match(dry.stdout, /not imported: models\/ieee-cis-fraud\/Bad Name!\.pkl: a model file is/);
    await assert.rejects(fs.stat(path.join(dir, 'data')), 'the dry run did not even create the data folder');

    const first = await importCli(['--from', path.join(dir, 'tree')], env);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /imported: 11 copied \([\d.]+ KiB\), 0 already there, 0 failed, 2 not mapped/);
    const state = await servedState(t, env);
    assertImported(state, tree);
    assert.deepEqual(
      state.versions,
      { 'ieee-cis-fraud': 1, 'give-me-some-credit': 1, 'german-credit': 1 },
      'a dataset is one version',
    );

    const again = await importCli(['--from', path.join(dir, 'tree')], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /imported: 0 copied \(0 B\), 11 already there, 0 failed, 2 not mapped/);
    assert.deepEqual(await servedState(t, env), state, 'nothing changed, not even a version');
    for (const [key, bytes] of tree) assert.deepEqual(await fs.readFile(path.join(dir, 'tree', key)), bytes, `${key} untouched`);
  });

  test('a bucket on an S3 server into Postgres + S3: killed mid-copy and re-run, the same result', {
    skip: postgresSkipReason,
  }, async (t) => {
    const stack = await s3AndPostgres(t);
    const { s3, database } = stack;
    const env = { ...stack.env, DATA_DIR: await tempDir(t, 'xai-import-journal-') };
    const tree = platformTree(48 * MiB);
    const client = bucketClient(t, s3);
    await client.send(new CreateBucketCommand({ Bucket: 'legacy-platform' }));
    for (const [key, bytes] of tree) {
      await client.send(new PutObjectCommand({ Bucket: 'legacy-platform', Key: `railway/${key}`, Body: bytes }));
    }
    // The target's own credentials reach this bucket: --stream sends the bytes through the importer.
    const from = ['--from', 's3://legacy-platform/railway', '--stream'];

    // Killed while the 48 MiB file is being copied: its row reserved, its bytes on their way.
    const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
    t.after(() => sql.end());
    const copying = when(async () => {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from files where path = 'raw/huge.csv' and state = 'pending'`;
      return (row?.n ?? 0) > 0;
    }, 60_000);
    const killed = await importCli(from, env, copying);
    assert.equal(killed.code, null, `the import was killed: ${killed.stdout}${killed.stderr}`);
    assert.doesNotMatch(killed.stdout, /^imported:/m, 'it did not finish');
    assert.doesNotMatch(killed.stdout, /huge\.csv →/, 'the large file was not recorded');

    const resumed = await importCli(from, env);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /^removed what a killed import left of zz-large-table: 1 half-copied file\(s\)$/m);
    assert.match(resumed.stdout, /imported: 7 copied \([\d.]+ MiB\), 5 already there, 0 failed, 2 not mapped/);
    const state = await servedState(t, env);
    assertImported(state, tree);
    assert.equal(state.models.length, 4, 'no model version twice');

    // Whatever the killed run left (a pending row, an unfinished multipart upload, depending on
    // where the kill landed) is the reconciler's: after it, nothing is out of place and the
    // import's result is as it was.
    const reconciled = await cli('src/cli/reconcile.ts', ['--older-than', '0'], env);
    assert.equal(reconciled.code, 0, reconciled.stderr + reconciled.stdout);
    const check = await cli('src/cli/reconcile.ts', ['--older-than', '0', '--dry-run', '--json'], env);
    const report = JSON.parse(check.stdout) as Record<string, unknown[]>;
    for (const finding of ['stalePendingRows', 'staleUploads', 'orphanObjects', 'missingObjects', 'failures']) {
      assert.deepEqual(report[finding], [], finding);
    }
    assert.deepEqual(await servedState(t, env), state);

    const again = await importCli(from, env);
    assert.match(again.stdout, /imported: 0 copied \(0 B\), 12 already there, 0 failed, 2 not mapped/);
    assert.deepEqual(await servedState(t, env), state);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'legacy-platform' }));
    assert.equal(listed.KeyCount, tree.size, 'the source bucket holds what it held');
  });

  test("the API's own bucket into Postgres + S3: copied server-side, verified by reading back", {
    skip: postgresSkipReason,
  }, async (t) => {
    const stack = await s3AndPostgres(t);
    const { s3 } = stack;
    const env = { ...stack.env, DATA_DIR: await tempDir(t, 'xai-import-journal-') };
    const tree = platformTree(40 * MiB); // the large file in three 16 MiB parts: ranges copied in order
    const client = bucketClient(t, s3);
    for (const [key, bytes] of tree) {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `legacy/${key}`, Body: bytes }));
    }
    const from = ['--from', `s3://${s3.bucket}/legacy`];

    const run = await importCli(from, env);
    assert.equal(run.code, 0, run.stderr + run.stdout);
    assert.match(run.stdout, /files are copied server-side/);
    assert.equal(run.stdout.match(/^\[\d+\/12\] copied server-side /gm)?.length, 12, run.stdout);
    const state = await servedState(t, env);
    assertImported(state, tree);

    const again = await importCli(from, env);
    assert.match(again.stdout, /imported: 0 copied \(0 B\), 12 already there, 0 failed, 2 not mapped/);
    const check = await cli('src/cli/reconcile.ts', ['--older-than', '0', '--dry-run', '--json'], env);
    const report = JSON.parse(check.stdout) as Record<string, unknown[]>;
    for (const finding of ['stalePendingRows', 'staleUploads', 'orphanObjects', 'missingObjects']) {
      assert.deepEqual(report[finding], [], finding);
    }
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'legacy/' }));
    assert.equal(listed.KeyCount, tree.size, 'the source objects are all still there');
  });
});
