/**
 * Direct uploads (/uploads) over a real socket, on the embedded default (the API's own signed
 * part links) and on s3rver + Postgres (presigned UploadPart URLs, whose V4 signatures s3rver
 * verifies). Every check looks at what was stored: the record, the bytes behind its download
 * link, objects and open multipart uploads in storage, rows in the database.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { ApiError, type ArtifactClient, createArtifactClient, type UploadSession, type UploadTarget } from '../client/index.ts';
import { reconcile } from '../src/operations/reconciler.ts';
import { type Backend, buildForTwoUsers, startApp, type TestApp } from './support/app.ts';
import { eventually, expectProblem, snapshot } from './support/checks.ts';
import { digestResponse, patternFile, type TestFile } from './support/data.ts';
import { upload as formUpload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const MiB = 1024 * 1024;

async function fileOnDisk(directory: string, content: TestFile): Promise<string> {
  const file = path.join(directory, `${randomUUID()}.bin`);
  await pipeline(content.stream(), createWriteStream(file));
  return file;
}

async function post(app: TestApp, url: string, body?: unknown): Promise<Response> {
  return fetch(`${app.baseUrl}${url}`, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

/** Opens a direct upload of a dataset file (201 expected); its session. */
async function openFileSession(
  app: TestApp,
  dataset: string,
  path: string,
  fields: Record<string, unknown>,
): Promise<UploadSession> {
  const response = await post(app, '/uploads', { target: { type: 'dataset-file', dataset, path }, ...fields });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()) as UploadSession;
}

async function blob(content: TestFile): Promise<Blob> {
  return new Blob([await partBytes(content, 0, content.size)]);
}

/** A direct upload of `content` to `target` through the typed client; the record it made (its result). */
async function directResult<T>(client: ArtifactClient, content: TestFile, target: UploadTarget): Promise<T> {
  return (await client.uploadDirect(await blob(content), target)).result as unknown as T;
}

async function createDataset(app: TestApp, name: string): Promise<{ id: string; name: string }> {
  const response = await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: name }]);
  assert.equal(response.status, 201);
  return (await response.json()) as { id: string; name: string };
}

async function downloadDigest(app: TestApp, url: string) {
  const link = (await (await fetch(`${app.baseUrl}${url}`)).json()) as { url: string };
  const response = await fetch(link.url);
  assert.equal(response.status, 200);
  return digestResponse(response);
}

/** Bytes the API's own server has read from all its sockets so far (headers and bodies), open or closed. */
function socketReads(app: TestApp): () => number {
  const sockets = new Set<Socket>();
  app.app.server.on('connection', (socket: Socket) => sockets.add(socket));
  return () => [...sockets].reduce((total, socket) => total + socket.bytesRead, 0);
}

async function putPart(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PUT', body: body as Uint8Array<ArrayBuffer>, headers });
}

function partBytes(content: TestFile, start: number, end: number): Promise<Buffer<ArrayBuffer>> {
  return (async () => {
    const chunks: Buffer[] = [];
    let offset = 0;
    for await (const chunk of content.chunks()) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset, chunk.length);
      if (to > from) chunks.push(chunk.subarray(from, to));
      offset += chunk.length;
      if (offset >= end) break;
    }
    return Buffer.concat(chunks) as Buffer<ArrayBuffer>;
  })();
}

function directSuite(backend: Backend) {
  describe(`direct uploads on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    let client: ArtifactClient;
    let scratch: string;
    let apiReads: () => number;
    before(async () => {
      app = await startApp({ backend, env: { VERIFY_LEASE_SECONDS: '2', VERIFY_CONCURRENCY: '1' } });
      apiReads = socketReads(app);
      client = createArtifactClient({ baseUrl: app.baseUrl });
      scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-direct-'));
    });
    after(async () => {
      await app?.close();
      if (scratch) await fs.rm(scratch, { recursive: true, force: true });
    });

    test('a large dataset file goes to storage in parts, never through the API, and ends as the proxied record would', async () => {
      const size = backend === 's3-postgres' ? 256 * MiB : 48 * MiB + 12_345;
      const content = patternFile(size);
      const source = await fileOnDisk(scratch, content);
      const dataset = await createDataset(app, `direct-${backend}`);
      const readBefore = apiReads();
      const progress: number[] = [];
      const session = await client.uploadDirect(
        source,
        { type: 'dataset-file', dataset: dataset.name, path: 'raw/train_transaction.csv' },
        { sha256: content.sha256, onProgress: (sent) => progress.push(sent) },
      );
      const read = apiReads() - readBefore;
      if (backend === 's3-postgres') {
        assert.ok(read < 1 * MiB, `the API read ${read} bytes while ${size} were uploaded`);
      } else {
        // The embedded default has no R2 to bypass: its signed part links are the API's own route.
        assert.ok(read > size, `the parts came through the API's part route (${read} bytes read)`);
      }
      assert.equal(session.state, 'ready');
      assert.equal(progress.at(-1), size);
      const result = session.result as unknown as {
        files: Array<{ id: string; path: string; size: number; sha256: string; contentType: string }>;
      };
      const stored = result.files.find((file) => file.path === 'raw/train_transaction.csv');
      assert.ok(stored);
      assert.equal(stored.size, size);
      assert.equal(stored.sha256, content.sha256);
      assert.equal(stored.contentType, 'text/csv');
      const [row] = await app.sql<{ object_key: string }>('select object_key from files where id = $1', [stored.id]);
      assert.equal(row?.object_key, `datasets/${dataset.name}/${stored.id}/raw/train_transaction.csv`, 'the proxied key layout');
      assert.ok((await app.objectKeys()).includes(row?.object_key ?? ''), 'the object is at that key');
      // The same answer as GET /datasets/{id}: the record is simply there.
      const fetched = (await (await fetch(`${app.baseUrl}/datasets/${dataset.id}`)).json()) as typeof result;
      assert.deepEqual(fetched.files, result.files);
      const downloaded = await downloadDigest(app, `/datasets/${dataset.id}/files/${stored.id}/download`);
      assert.equal(downloaded.size, size);
      assert.equal(downloaded.sha256, content.sha256);
      assert.equal(await app.incompleteUploads(), 0);
      assert.equal((await app.rowCounts()).pending, 0);
    });

    test('models and explanations upload directly, with their fields, as the proxied upload stores them', async () => {
      const dataset = await createDataset(app, `direct-models-${backend}`);
      const modelFile = patternFile(6 * MiB);
      const model = (
        await client.uploadDirect(
          new Blob([await partBytes(modelFile, 0, modelFile.size)]),
          {
            type: 'model',
            dataset: dataset.name,
            name: 'xgboost',
            filename: 'model.json',
            // Key orders jsonb would change (it puts shorter keys first): they come back as sent.
            metrics: { auc: 0.93, accuracy: 0.9, f1: 0.7 },
            params: { n_estimators: 400, max_depth: 6 },
            tags: ['fraud'],
          },
          { partSize: 5 * MiB },
        )
      ).result as unknown as { id: string; version: number; format: string; framework: string; sha256: string; metrics: object };
      assert.equal(model.version, 1);
      assert.equal(model.format, 'xgboost-json');
      assert.equal(model.framework, 'xgboost');
      assert.equal(JSON.stringify(model.metrics), '{"auc":0.93,"accuracy":0.9,"f1":0.7}');
      assert.equal(JSON.stringify((model as { params?: object }).params), '{"n_estimators":400,"max_depth":6}');
      assert.equal(model.sha256, modelFile.sha256);
      const [row] = await app.sql<{ object_key: string }>('select object_key from files where model_id = $1', [model.id]);
      assert.equal(row?.object_key, `models/${dataset.name}/xgboost/v1-${model.id}/model.json`);
      assert.equal((await downloadDigest(app, `/models/${model.id}/download`)).sha256, modelFile.sha256);

      const shap = patternFile(1000);
      const explanation = (
        await client.uploadDirect(new Blob([await partBytes(shap, 0, shap.size)]), {
          type: 'explanation',
          model: model.id,
          method: 'shap',
          filename: 'shap_values.parquet',
          summary: { TransactionAmt: 0.31, card1: 0.12, addr1: 0.05 },
        })
      ).result as unknown as { id: string; sha256: string; summary: object; model: { id: string } };
      assert.equal(explanation.model.id, model.id);
      assert.equal(JSON.stringify(explanation.summary), '{"TransactionAmt":0.31,"card1":0.12,"addr1":0.05}');
      const again = (await (await fetch(`${app.baseUrl}/explanations/${explanation.id}`)).json()) as { summary: object };
      assert.equal(JSON.stringify(again.summary), '{"TransactionAmt":0.31,"card1":0.12,"addr1":0.05}');
      assert.equal((await downloadDigest(app, `/explanations/${explanation.id}/download`)).sha256, shap.sha256);
    });

    test('a version of several files arrives in sessions side by side and appears only when all are verified', async () => {
      const dataset = await createDataset(app, `direct-folders-${backend}`);
      type Version = {
        id: string;
        state: string;
        format: string;
        safeToLoad: boolean;
        files: Array<{ id: string; path: string; sha256: string }>;
      };
      const mlmodel = patternFile(300, 'MLmodel');
      const pickle = patternFile(11 * MiB, 'model.pkl');
      const conda = patternFile(200, 'conda');
      let firstSession = '';
      const first = (
        await client.uploadDirect(
          await blob(mlmodel),
          { type: 'model', dataset: dataset.name, name: 'forest', filename: 'model/MLmodel', files: 3 },
          { onSession: (id) => (firstSession = id) },
        )
      ).result as unknown as Version;
      const opened = (await (await fetch(`${app.baseUrl}/uploads/${firstSession}`)).json()) as { artifactId: string };
      assert.equal(opened.artifactId, first.id);
      assert.equal(first.state, 'pending', 'one file of three: the version is not there yet');
      await expectProblem(await fetch(`${app.baseUrl}/models/${first.id}`), 404, 'model_not_found');
      const rest = await Promise.all([
        client.uploadDirect(
          await blob(pickle),
          { type: 'model-file', model: first.id, path: 'model/model.pkl' },
          { partSize: 5 * MiB },
        ),
        client.uploadDirect(await blob(conda), { type: 'model-file', model: first.id, path: 'model/conda.yaml' }),
      ]);
      assert.deepEqual(
        rest.map((session) => session.state),
        ['ready', 'ready'],
      );
      const model = (await (await fetch(`${app.baseUrl}/models/${first.id}`)).json()) as Version;
      assert.equal(model.format, 'mlflow');
      assert.equal(model.safeToLoad, false, 'a pickle among its files');
      const sent = { 'model/MLmodel': mlmodel, 'model/model.pkl': pickle, 'model/conda.yaml': conda };
      assert.deepEqual(model.files.map((file) => file.path).sort(), Object.keys(sent).sort());
      for (const file of model.files) {
        const content = sent[file.path as keyof typeof sent];
        assert.equal(file.sha256, content.sha256);
        assert.equal((await downloadDigest(app, `/models/${model.id}/files/${file.id}/download`)).sha256, content.sha256);
      }
      // The version is complete: it takes no more files.
      await expectProblem(
        await post(app, '/uploads', { target: { type: 'model-file', model: model.id, path: 'extra.txt' }, size: 3 }),
        409,
        'upload_not_open',
      );

      // An explanation of two files, the same way.
      const values = patternFile(2 * MiB, 'shap-values');
      const summary = patternFile(100, 'summary');
      const shap = { type: 'explanation', model: model.id, method: 'shap', filename: 'shap_values.parquet', files: 2 } as const;
      const explanationFirst = await directResult<Version>(client, values, shap);
      const last = await directResult<Version>(client, summary, {
        type: 'explanation-file',
        explanation: explanationFirst.id,
        path: 'summary.json',
      });
      assert.equal(last.state, 'ready');
      assert.deepEqual(
        last.files.map((file) => [file.path, file.sha256]),
        [
          ['shap_values.parquet', values.sha256],
          ['summary.json', summary.sha256],
        ],
      );
      for (const file of last.files) {
        const content = file.path === 'summary.json' ? summary : values;
        assert.equal((await downloadDigest(app, `/explanations/${last.id}/files/${file.id}/download`)).sha256, content.sha256);
      }
    });

    test('a version whose one file fails verification leaves nothing of any of its files', async () => {
      const dataset = await createDataset(app, `direct-folder-fails-${backend}`);
      const before = await snapshot(app);
      const shard1 = patternFile(3 * MiB, 'shard-1');
      const shard2 = patternFile(3 * MiB, 'shard-2');
      const sharded = { dataset: dataset.name, name: 'sharded', filename: 'model-00001-of-00002.safetensors', files: 2 };
      const first = await directResult<{ id: string; state: string }>(client, shard1, { type: 'model', ...sharded });
      assert.equal(first.state, 'pending');
      const failing = await client
        .uploadDirect(
          await blob(shard2),
          { type: 'model-file', model: first.id, path: 'model-00002-of-00002.safetensors' },
          { sha256: 'ab'.repeat(32) },
        )
        .then(
          (session) => session,
          (error: unknown) => error,
        );
      assert.ok(failing instanceof ApiError || (failing as UploadSession).state === 'failed', String(failing));
      await expectProblem(
        await post(app, '/uploads', { target: { type: 'model-file', model: first.id, path: 'x.bin' }, size: 3 }),
        404,
        'model_not_found',
      );
      await eventually(async () => assert.deepEqual(await snapshot(app), before));
    });

    test('an interrupted upload resumes with a new client from what storage holds; expired part URLs are replaced', async () => {
      const dataset = await createDataset(app, `direct-resume-${backend}`);
      const content = patternFile(23 * MiB);
      const source = await fileOnDisk(scratch, content);
      const stop = new AbortController();
      let sessionId = '';
      let partsDone = 0;
      await assert.rejects(
        client.uploadDirect(
          source,
          { type: 'dataset-file', dataset: dataset.name, path: 'raw/resumed.csv' },
          {
            partSize: 5 * MiB,
            concurrency: 1,
            signal: stop.signal,
            onSession: (id) => {
              sessionId = id;
            },
            onProgress: (sent) => {
              if (sent > 0) partsDone += 1;
              if (partsDone === 2) stop.abort(new Error('page closed'));
            },
          },
        ),
      );
      const interrupted = (await (await fetch(`${app.baseUrl}/uploads/${sessionId}`)).json()) as UploadSession;
      assert.equal(interrupted.state, 'uploading');
      assert.deepEqual(
        interrupted.uploadedParts.map((part) => part.partNumber),
        [1, 2],
        'the store, not the client, says which parts arrived',
      );

      // A URL that has expired is refused; asking again gives a fresh one that works.
      const part3 = await partBytes(content, 10 * MiB, 15 * MiB);
      const shortLived = (await (await post(app, `/uploads/${sessionId}/parts`, { partNumbers: [3], expiresIn: 1 })).json()) as {
        parts: Array<{ url: string }>;
      };
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const expired = await putPart(shortLived.parts[0]?.url ?? '', part3);
      assert.equal(expired.status, 403, `an expired part URL answered ${expired.status}`);

      const fresh = createArtifactClient({ baseUrl: app.baseUrl });
      const resumed = await fresh.resume(sessionId, source);
      assert.equal(resumed.state, 'ready');
      const file = (resumed.result as unknown as { files: Array<{ id: string; path: string; sha256: string }> }).files.find(
        (candidate) => candidate.path === 'raw/resumed.csv',
      );
      assert.equal(file?.sha256, content.sha256);
      assert.equal((await downloadDigest(app, `/datasets/${dataset.id}/files/${file?.id}/download`)).sha256, content.sha256);
    });

    test('a wrong declared SHA-256 fails verification with checksum_mismatch and leaves nothing behind', async () => {
      const dataset = await createDataset(app, `direct-bad-sha-${backend}`);
      const before = await snapshot(app);
      const content = patternFile(7 * MiB);
      const wrong = createHash('sha256').update('something else').digest('hex');
      const failure = await client
        .uploadDirect(
          new Blob([await partBytes(content, 0, content.size)]),
          { type: 'dataset-file', dataset: dataset.name, path: 'raw/x.csv' },
          { sha256: wrong },
        )
        .then(
          () => assert.fail('the upload was accepted'),
          (error: unknown) => error,
        );
      assert.ok(failure instanceof ApiError);
      assert.equal(failure.code, 'checksum_mismatch');
      await eventually(async () => assert.deepEqual(await snapshot(app), before));
      const [session] = await app.sql<{ state: string; problem: { code: string; actual: string } }>(
        `select state, problem from upload_sessions where target->>'dataset' = $1`,
        [dataset.name],
      );
      assert.equal(session?.state, 'failed');
      assert.equal(session?.problem.code, 'checksum_mismatch');
      assert.equal(session?.problem.actual, content.sha256);
    });

    test('complete with parts missing or of the wrong size is 409 with what is missing; the session stays resumable', async () => {
      const dataset = await createDataset(app, `direct-missing-${backend}`);
      const content = patternFile(12 * MiB);
      const session = await openFileSession(app, dataset.name, 'raw/parts.csv', { size: content.size, partSize: 5 * MiB });
      assert.equal(session.partCount, 3);
      assert.equal(session.parts?.length, 3);
      const urls = new Map(session.parts?.map((part) => [part.partNumber, part.url]));
      assert.equal((await putPart(urls.get(1) ?? '', await partBytes(content, 0, 5 * MiB))).status, 200);
      // Part 3 one byte short. R2/S3 refuse it at once (its URL signs the part's Content-Length);
      // the API's own part route takes up to the signed size, and complete reports the shortfall.
      const short = await putPart(urls.get(3) ?? '', await partBytes(content, 10 * MiB, 12 * MiB - 1));
      const problem = await expectProblem(await post(app, `/uploads/${session.id}/complete`), 409, 'upload_incomplete');
      if (backend === 's3-postgres') {
        assert.equal(short.status, 403, 'the store refused a body of another length than signed');
        assert.deepEqual(problem.missingParts, [2, 3]);
        assert.deepEqual(problem.wrongSizeParts, []);
      } else {
        assert.equal(short.status, 200);
        assert.deepEqual(problem.missingParts, [2]);
        assert.deepEqual(problem.wrongSizeParts, [{ partNumber: 3, size: 2 * MiB - 1, expectedSize: 2 * MiB }]);
      }
      const still = (await (await fetch(`${app.baseUrl}/uploads/${session.id}`)).json()) as UploadSession;
      assert.equal(still.state, 'uploading');

      const resumed = await client.resume(session.id, new Blob([await partBytes(content, 0, content.size)]));
      assert.equal(resumed.state, 'ready');
      const file = (resumed.result as unknown as { files: Array<{ path: string; sha256: string; size: number }> }).files.find(
        (candidate) => candidate.path === 'raw/parts.csv',
      );
      assert.equal(file?.size, content.size);
      assert.equal(file?.sha256, content.sha256);
    });

    test('a part URL with a signed checksum is refused without that checksum or with other bytes', async () => {
      const dataset = await createDataset(app, `direct-checksum-${backend}`);
      const content = patternFile(6 * MiB);
      const session = await openFileSession(app, dataset.name, 'raw/c.csv', { size: content.size });
      const bytes = await partBytes(content, 0, content.size);
      const sha256 = createHash('sha256').update(bytes).digest('base64');
      const signed = (await (
        await post(app, `/uploads/${session.id}/parts`, { partNumbers: [1], sha256: { 1: sha256 } })
      ).json()) as { parts: Array<{ url: string; headers: Record<string, string> }> };
      const part = signed.parts[0];
      assert.deepEqual(part?.headers, { 'x-amz-checksum-sha256': sha256 });
      const withoutHeader = await putPart(part?.url ?? '', bytes);
      assert.ok(withoutHeader.status === 403 || withoutHeader.status === 400, `answered ${withoutHeader.status}`);
      const otherHeader = await putPart(part?.url ?? '', bytes, {
        'x-amz-checksum-sha256': createHash('sha256').update('other').digest('base64'),
      });
      assert.ok(otherHeader.status === 403 || otherHeader.status === 400, `answered ${otherHeader.status}`);
      assert.equal((await putPart(part?.url ?? '', bytes, part?.headers)).status, 200);
      // A URL signed for part 1 is not a URL for part 2.
      const forged = (part?.url ?? '').replace('partNumber=1', 'partNumber=2').replace('/parts/1?', '/parts/2?');
      assert.equal((await putPart(forged, bytes, part?.headers)).status, 403);
      await fetch(`${app.baseUrl}/uploads/${session.id}`, { method: 'DELETE' });
    });

    test('abort removes the parts and the reservation; a second session for the same path is refused while one is open', async () => {
      const dataset = await createDataset(app, `direct-abort-${backend}`);
      const before = await snapshot(app);
      const content = patternFile(11 * MiB);
      const target = { type: 'dataset-file', dataset: dataset.name, path: 'raw/abort.csv' };
      const session = (await (
        await post(app, '/uploads', { target, size: content.size, partSize: 5 * MiB })
      ).json()) as UploadSession;
      await expectProblem(await post(app, '/uploads', { target, size: content.size }), 409, 'upload_in_progress');
      const url = session.parts?.[0]?.url ?? '';
      assert.equal((await putPart(url, await partBytes(content, 0, 5 * MiB))).status, 200);
      assert.equal((await fetch(`${app.baseUrl}/uploads/${session.id}`, { method: 'DELETE' })).status, 204);
      assert.deepEqual(await snapshot(app), before, 'no row, object or multipart upload left');
      const aborted = (await (await fetch(`${app.baseUrl}/uploads/${session.id}`)).json()) as UploadSession;
      assert.equal(aborted.state, 'aborted');
      await expectProblem(await post(app, `/uploads/${session.id}/complete`), 409, 'upload_not_open');
      // The path is free again.
      const again = await post(app, '/uploads', { target, size: content.size });
      assert.equal(again.status, 201);
      await fetch(`${app.baseUrl}/uploads/${((await again.json()) as UploadSession).id}`, { method: 'DELETE' });
    });

    test('the proxied checks run before any byte moves: 404, 409 file_exists, 413, 415, 400', async () => {
      const dataset = await createDataset(app, `direct-checks-${backend}`);
      const existing = await formUpload(`${app.baseUrl}/datasets/${dataset.name}/files`, [
        { name: 'file', filename: 'raw/there.csv', file: patternFile(10) },
      ]);
      assert.equal(existing.status, 201);
      const before = await snapshot(app);
      const open = (target: object, size = 100) => post(app, '/uploads', { target, size });
      await expectProblem(
        await open({ type: 'dataset-file', dataset: 'no-such-dataset', path: 'a.csv' }),
        404,
        'dataset_not_found',
      );
      await expectProblem(await open({ type: 'dataset-file', dataset: dataset.name, path: 'raw/there.csv' }), 409, 'file_exists');
      await expectProblem(
        await open({ type: 'dataset-file', dataset: dataset.name, path: 'a.csv' }, 6 * 1024 * MiB),
        413,
        'file_too_large',
      );
      await expectProblem(
        await open({ type: 'dataset-file', dataset: dataset.name, path: 'a.exe' }),
        415,
        'unsupported_media_type',
      );
      await expectProblem(await open({ type: 'dataset-file', dataset: dataset.name, path: '../a.csv' }), 400, 'invalid_path');
      await expectProblem(
        await open({ type: 'model', dataset: dataset.name, name: 'Bad Name', filename: 'm.json' }),
        400,
        'invalid_name',
      );
      await expectProblem(
        await open({ type: 'explanation', model: randomUUID(), method: 'shap', filename: 's.json' }),
        404,
        'model_not_found',
      );
      await expectProblem(await post(app, '/uploads', { target: { type: 'nope' }, size: 1 }), 400, 'validation_failed');
      await expectProblem(
        await post(app, '/uploads', { target: { type: 'dataset-file', dataset: dataset.name, path: 'a.csv' }, size: 0 }),
        400,
        'validation_failed',
      );
      await expectProblem(await post(app, `/uploads/${randomUUID()}/complete`), 404, 'upload_not_found');
      assert.deepEqual(await snapshot(app), before);
    });

    test('more completions than VERIFY_CONCURRENCY: each waits for a free verifier and ends ready', async () => {
      const dataset = await createDataset(app, `direct-queue-${backend}`);
      const files = [0, 1, 2, 3].map((index) => patternFile(1000 + index));
      const sessions = await Promise.all(
        files.map(async (content, index) => {
          const session = (await (
            await post(app, '/uploads', {
              target: { type: 'dataset-file', dataset: dataset.name, path: `raw/q${index}.csv` },
              size: content.size,
              sha256: content.sha256,
            })
          ).json()) as UploadSession;
          assert.equal((await putPart(session.parts?.[0]?.url ?? '', await partBytes(content, 0, content.size))).status, 200);
          return session;
        }),
      );
      const completed = await Promise.all(sessions.map((session) => post(app, `/uploads/${session.id}/complete`)));
      assert.deepEqual(
        completed.map((response) => response.status),
        [202, 202, 202, 202],
      );
      await eventually(async () => {
        const states = await Promise.all(
          sessions.map(
            async (session) => ((await (await fetch(`${app.baseUrl}/uploads/${session.id}`)).json()) as UploadSession).state,
          ),
        );
        assert.deepEqual(states, ['ready', 'ready', 'ready', 'ready'], app.logs.filter((line) => /verif/.test(line)).join('\n'));
      });
    });

    test('several verifiers asking at once: exactly one claims a verification', async () => {
      const dataset = await createDataset(app, `direct-claims-${backend}`);
      const session = await openFileSession(app, dataset.name, 'raw/claim.csv', { size: 10 });
      // As if completed by a replica that died before its verifier claimed the job.
      await app.sql(`update upload_sessions set state = 'verifying' where id = $1`, [session.id]);
      const sessions = app.services.metadata.uploadSessions;
      const claims = await Promise.all(Array.from({ length: 6 }, () => sessions.claimVerification(null, 30)));
      assert.deepEqual(
        claims.filter((claim) => claim !== null).map((claim) => claim?.id),
        [session.id],
      );
      assert.equal(await sessions.claimVerification(session.id, 30), null, 'held until the lease lapses');
      const ended = await sessions.end(session.id, 'failed', { code: 'upload_cancelled', detail: 'test' });
      await app.services.storage.abortIncompleteUpload({
        key: ended.objectKey,
        uploadId: ended.storageUploadId,
        initiated: new Date(),
      });
    });

    test('the reconciler aborts sessions past their time, parts and reservation included', async () => {
      const dataset = await createDataset(app, `direct-expired-${backend}`);
      const before = await snapshot(app);
      const content = patternFile(6 * MiB);
      const session = await openFileSession(app, dataset.name, 'raw/late.csv', { size: content.size });
      assert.equal((await putPart(session.parts?.[0]?.url ?? '', await partBytes(content, 0, content.size))).status, 200);
      // A session younger than the reconciler's cut-off is left alone, even though its multipart upload is old enough.
      const early = await reconcile(app.services.deps(), { olderThanMs: 0, dryRun: false, now: new Date(Date.now() + 1000) });
      assert.deepEqual(early.expiredUploads, []);
      assert.equal(early.staleUploads.length, 0, 'a live session keeps its multipart upload');
      assert.equal((await app.rowCounts()).pending, 1, 'and its reservation');
      await app.sql(`update upload_sessions set expires_at = now() - interval '1 minute' where id = $1`, [session.id]);
      const report = await reconcile(app.services.deps(), { olderThanMs: 60_000, dryRun: false });
      assert.deepEqual(report.expiredUploads, [session.id]);
      assert.deepEqual(await snapshot(app), before);
      const expired = (await (await fetch(`${app.baseUrl}/uploads/${session.id}`)).json()) as UploadSession;
      assert.equal(expired.state, 'aborted');
      assert.equal(expired.problem?.code, 'upload_expired');
    });
  });
}

directSuite('embedded');
directSuite('s3-postgres');

describe('direct uploads belong to their owner', () => {
  test('another caller gets 404 for every route of a session', async (t) => {
    const { app, alice, bob } = await buildForTwoUsers(t);
    const as = (key: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as object), 'x-api-key': key } });
    const dataset = await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'alices' }], {
      headers: { 'x-api-key': alice.key },
    });
    assert.equal(dataset.status, 201);
    const opened = await fetch(
      `${app.baseUrl}/uploads`,
      as(alice.key, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: { type: 'dataset-file', dataset: 'alices', path: 'a.csv' }, size: 10 }),
      }),
    );
    assert.equal(opened.status, 201);
    const { id } = (await opened.json()) as UploadSession;
    // Bob cannot open an upload into Alice's dataset, nor see, sign, complete or abort hers.
    await expectProblem(
      await fetch(
        `${app.baseUrl}/uploads`,
        as(bob.key, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ target: { type: 'dataset-file', dataset: 'alices', path: 'b.csv' }, size: 10 }),
        }),
      ),
      404,
      'dataset_not_found',
    );
    await expectProblem(await fetch(`${app.baseUrl}/uploads/${id}`, as(bob.key)), 404, 'upload_not_found');
    await expectProblem(
      await fetch(
        `${app.baseUrl}/uploads/${id}/parts`,
        as(bob.key, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"partNumbers":[1]}' }),
      ),
      404,
      'upload_not_found',
    );
    await expectProblem(
      await fetch(`${app.baseUrl}/uploads/${id}/complete`, as(bob.key, { method: 'POST' })),
      404,
      'upload_not_found',
    );
    await expectProblem(await fetch(`${app.baseUrl}/uploads/${id}`, as(bob.key, { method: 'DELETE' })), 404, 'upload_not_found');
    const mine = (await (await fetch(`${app.baseUrl}/uploads/${id}`, as(alice.key))).json()) as UploadSession;
    assert.equal(mine.state, 'uploading');
  });
});
