/**
 * The reconciler on both backends, over real leftovers: a pending row with its object, a
 * pending row without one, an object no row points at, an open multipart upload (or temp
 * file), and a ready row whose object vanished. Dry run first (changes nothing), then a real
 * run (repairs all but the missing object, which it reports), then again (idempotent).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { reconcile } from '../src/operations/reconciler.ts';
import { projectRoot } from '../src/project-files.ts';
import { appFor, type Backend, type TestApp } from './support/app.ts';
import { bufferFile, patternFile } from './support/data.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';
import { s3AndPostgres } from './support/test-stack.ts';

const HOUR = 3_600_000;

/** Starts a multipart upload (S3) or a temp file (filesystem) that nobody finishes. */
async function leaveIncompleteUpload(app: TestApp, key: string): Promise<void> {
  if (app.s3) {
    const client = new S3Client({
      endpoint: app.s3.endpoint,
      region: 'auto',
      forcePathStyle: true,
      credentials: { accessKeyId: app.s3.config.accessKeyId, secretAccessKey: app.s3.config.secretAccessKey },
    });
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: app.s3.bucket, Key: key }));
    await client.send(
      new UploadPartCommand({ Bucket: app.s3.bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 7) }),
    );
    client.destroy();
    return;
  }
  const incomplete = path.join(app.config.dataDir, 'objects', '.incomplete');
  await fs.mkdir(incomplete, { recursive: true });
  const id = randomUUID();
  await fs.writeFile(path.join(incomplete, id), 'partial bytes');
  await fs.writeFile(path.join(incomplete, `${id}.json`), JSON.stringify({ key, initiated: new Date().toISOString() }));
}

function suite(backend: Backend) {
  describe(`reconciler on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend });

    test('finds every kind of leftover, repairs all but missing objects, and is idempotent', async () => {
      const created = await upload(`${app.baseUrl}/datasets`, [
        { name: 'name', value: 'healthy' },
        { name: 'file', filename: 'keep.csv', file: bufferFile('keep\n') },
        { name: 'file', filename: 'lost.csv', file: bufferFile('lost\n') },
      ]);
      assert.equal(created.status, 201);
      const dataset = (await created.json()) as { id: string; files: Array<{ id: string; path: string }> };
      const [keepRow] = await app.sql<{ object_key: string }>("select object_key from files where path = 'keep.csv'");
      const [lostRow] = await app.sql<{ id: string; object_key: string }>(
        "select id, object_key from files where path = 'lost.csv'",
      );
      assert.ok(keepRow && lostRow);
      const storage = app.services.storage;

      // A crash after the bytes were written but before finalize: pending row + object.
      const pendingId = randomUUID();
      const pendingKey = `datasets/healthy/${pendingId}/crashed.csv`;
      await storage.put(pendingKey, bufferFile('crashed\n').stream(), { contentType: 'text/csv' });
      await app.sql(
        `insert into files (id, dataset_id, owner_id, path, object_key, content_type, state, batch_id)
         values ($1, $2, 'local', 'crashed.csv', $3, 'text/csv', 'pending', $4)`,
        [pendingId, dataset.id, pendingKey, randomUUID()],
      );
      // A crash right after reserving: pending model row, no object.
      const modelId = randomUUID();
      await app.sql(
        `insert into models (id, owner_id, dataset_id, name, version, format, safe_to_load, key_prefix, state)
         values ($1, 'local', $2, 'crashed', 1, 'onnx', true, $3, 'pending')`,
        [modelId, dataset.id, `models/healthy/crashed/v1-${modelId}/`],
      );
      // An object whose rows were deleted but whose delete failed.
      const orphanKey = `explanations/healthy/xgb-v1/shap/${randomUUID()}/orphan.json`;
      await storage.put(orphanKey, bufferFile('{}').stream(), { contentType: 'application/json' });
      // Not ours: outside the managed prefixes, never touched.
      await storage.put('backups/keep-me.txt', bufferFile('x').stream(), { contentType: 'text/plain' }).catch(() => undefined);
      await leaveIncompleteUpload(app, `datasets/healthy/${randomUUID()}/half.parquet`);
      // A ready row whose object vanished.
      await storage.delete(lostRow.object_key);

      const deps = app.services.deps();
      const later = new Date(Date.now() + 3 * HOUR);
      const keysBefore = await app.objectKeys();
      const rowsBefore = await app.rowCounts();

      const dry = await reconcile(deps, { olderThanMs: 2 * HOUR, dryRun: true, now: later });
      assert.deepEqual(dry.stalePendingRows.map((row) => row.id).sort(), [pendingId, modelId].sort());
      assert.deepEqual(dry.orphanObjects, [orphanKey]);
      assert.equal(dry.staleUploads.length, 1);
      assert.deepEqual(
        dry.missingObjects.map((row) => row.id),
        [lostRow.id],
      );
      assert.deepEqual(await app.objectKeys(), keysBefore, 'a dry run deletes nothing');
      assert.deepEqual(await app.rowCounts(), rowsBefore);
      assert.equal(await app.incompleteUploads(), 1);

      // Nothing is old enough at the real time: a run now touches nothing.
      const now = await reconcile(deps, { olderThanMs: 2 * HOUR, dryRun: false });
      assert.deepEqual([now.stalePendingRows, now.orphanObjects, now.staleUploads], [[], [], []]);

      const fixed = await reconcile(deps, { olderThanMs: 2 * HOUR, dryRun: false, now: later });
      assert.deepEqual(fixed.failures, []);
      assert.deepEqual(await app.objectKeys(), [keepRow.object_key]);
      assert.equal(await app.incompleteUploads(), 0);
      assert.equal((await app.rowCounts()).pending, 0);
      const [lostStill] = await app.sql("select id from files where path = 'lost.csv'");
      assert.ok(lostStill, 'a ready row with a missing object is reported, not deleted');

      const again = await reconcile(deps, { olderThanMs: 2 * HOUR, dryRun: false, now: later });
      assert.deepEqual([again.stalePendingRows, again.orphanObjects, again.staleUploads], [[], [], []]);
      assert.deepEqual(
        again.missingObjects.map((row) => row.id),
        [lostRow.id],
      );
      assert.equal((await fetch(`${app.baseUrl}/datasets/healthy?cascade=true`, { method: 'DELETE' })).status, 204);
      await storage.delete('backups/keep-me.txt');
    });
  });
}

suite('embedded');
suite('s3-postgres');

describe('npm run reconcile', { skip: postgresSkipReason }, () => {
  test('the command reports as JSON with --dry-run and exits 0 when all is consistent', async (t) => {
    const { s3, env: stack } = await s3AndPostgres(t);
    const env = { ...stack, PATH: process.env.PATH ?? '' };
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(projectRoot(), 'src/cli/reconcile.ts'), ...args], {
        env,
        cwd: projectRoot(),
      });
    const big = patternFile(1024, 'cli');
    const { S3Storage } = await import('../src/storage/s3-storage.ts');
    const storage = new S3Storage(s3.config);
    await storage.put('datasets/x/orphan.csv', big.stream(), { contentType: 'text/csv' });
    storage.close();
    const dry = await run(['--dry-run', '--json', '--older-than', '0s']);
    const report = JSON.parse(dry.stdout) as { dryRun: boolean; orphanObjects: string[] };
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.orphanObjects, ['datasets/x/orphan.csv']);
    const real = await run(['--older-than', '0s']);
    assert.match(real.stdout, /objects without a row: +1 \(deleted\)/);
    const clean = await run(['--json', '--older-than', '0s']);
    assert.deepEqual((JSON.parse(clean.stdout) as { orphanObjects: string[] }).orphanObjects, []);
  });
});
