/**
 * /datasets over a real socket, on the embedded default (filesystem + PGlite) and on s3rver +
 * Postgres. Every check looks at what was stored: bytes and SHA-256 through the download URL,
 * object keys in storage, rows in the database.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { parse as parseDisposition } from 'content-disposition';
import { appFor, type Backend, type TestApp } from './support/app.ts';
import { eventually, expectProblem, snapshot } from './support/checks.ts';
import { bufferFile, digestResponse, patternFile } from './support/data.ts';
import { sendJson } from './support/json-request.ts';
import { field, file, upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const MiB = 1024 * 1024;

interface DatasetBody {
  id: string;
  name: string;
  status: string;
  tags: string[];
  fileCount: number;
  files: Array<{ id: string; path: string; size: number; sha256: string; contentType: string }>;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function downloadAndDigest(app: TestApp, datasetId: string, fileId: string) {
  const response = await fetch(`${app.baseUrl}/datasets/${datasetId}/files/${fileId}/download`);
  assert.equal(response.status, 200);
  const link = await json<{ url: string; sha256: string; size: number; filename: string; expiresAt: string }>(response);
  const bytes = await fetch(link.url);
  assert.equal(bytes.status, 200, `download URL answered ${bytes.status}`);
  const disposition = parseDisposition(bytes.headers.get('content-disposition') ?? '');
  assert.equal(disposition.type, 'attachment');
  assert.equal(disposition.parameters.filename, link.filename);
  return { link, ...(await digestResponse(bytes)) };
}

function datasetSuite(backend: Backend) {
  describe(`datasets on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend });

    const url = (path: string) => `${app.baseUrl}${path}`;

    test('round trip: three files (one of 64 MiB) in, the same bytes out through download URLs', async () => {
      const big = patternFile(64 * MiB, 'ieee-cis-train');
      const train = patternFile(3 * MiB + 17, 'processed-train');
      const val = bufferFile('id,isFraud\n1,0\n');
      const created = await upload(url('/datasets'), [
        field('name', 'ieee-cis-fraud'),
        field('description', 'IEEE-CIS fraud detection'),
        field('tags', 'fraud,tabular'),
        field('tags', 'kaggle'),
        field('sha256', big.sha256),
        file('raw/train_transaction.csv', big),
        file('processed/train.parquet', train),
        file('processed/val.parquet', val),
      ]);
      assert.equal(created.status, 201, await created.clone().text());
      const dataset = await json<DatasetBody>(created);
      assert.equal(created.headers.get('location'), `/datasets/${dataset.id}`);
      assert.equal(dataset.name, 'ieee-cis-fraud');
      assert.deepEqual(dataset.tags, ['fraud', 'tabular', 'kaggle']);
      assert.equal(dataset.fileCount, 3);
      const byPath = new Map(dataset.files.map((item) => [item.path, item]));
      for (const [path, content, type] of [
        ['raw/train_transaction.csv', big, 'text/csv'],
        ['processed/train.parquet', train, 'application/vnd.apache.parquet'],
        ['processed/val.parquet', val, 'application/vnd.apache.parquet'],
      ] as const) {
        const stored = byPath.get(path);
        assert.ok(stored, `${path} is listed`);
        assert.equal(stored.size, content.size);
        assert.equal(stored.sha256, content.sha256);
        assert.equal(stored.contentType, type);
        const downloaded = await downloadAndDigest(app, dataset.id, stored.id);
        assert.equal(downloaded.sha256, content.sha256, `${path} comes back byte for byte`);
        assert.equal(downloaded.size, content.size);
        assert.equal(downloaded.link.filename, path.split('/').at(-1));
      }
      const keys = await app.objectKeys();
      assert.equal(keys.length, 3);
      for (const key of keys) assert.match(key, /^datasets\/ieee-cis-fraud\/[0-9a-f-]{36}\/(raw|processed)\//);
      assert.deepEqual(await app.rowCounts(), { datasets: 1, files: 3, models: 0, explanations: 0, pending: 0 });

      const byName = await json<DatasetBody>(await fetch(url('/datasets/ieee-cis-fraud')));
      assert.equal(byName.id, dataset.id);
      const listed = await json<{ items: DatasetBody[] }>(await fetch(url('/datasets?q=ieee')));
      assert.deepEqual(
        listed.items.map((item) => item.id),
        [dataset.id],
      );

      const redirect = await fetch(
        url(`/datasets/${dataset.id}/files/${byPath.get('processed/val.parquet')?.id}/download?redirect=true&expiresIn=60`),
        {
          redirect: 'manual',
        },
      );
      assert.equal(redirect.status, 302);
      assert.equal(redirect.headers.get('content-type'), null, 'a redirect has no body to type');
      assert.equal(await redirect.text(), '');
      const followed = await fetch(redirect.headers.get('location') ?? '');
      assert.equal((await digestResponse(followed)).sha256, val.sha256);

      const patched = await sendJson(url(`/datasets/${dataset.id}`), 'PATCH', { status: 'processed', tags: ['fraud'] });
      assert.equal(patched.status, 200);
      assert.equal((await json<DatasetBody>(patched)).status, 'processed');
      assert.equal((await json<DatasetBody>(await fetch(url(`/datasets/${dataset.id}`)))).status, 'processed');

      const deleted = await fetch(url(`/datasets/${dataset.id}`), { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      assert.deepEqual(await app.objectKeys(), []);
      assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
      await expectProblem(await fetch(url(`/datasets/${dataset.id}`)), 404, 'dataset_not_found');
    });

    test('adding files: an existing path is 409 file_exists; overwrite=true makes a new version, the old bytes kept by id', async () => {
      const first = bufferFile('a,b\n1,2\n');
      const second = bufferFile('a,b\n3,4\n5,6\n');
      const created = await json<DatasetBody>(
        await upload(url('/datasets'), [field('name', 'german-credit'), file('data.csv', first)]),
      );
      const oldKeys = await app.objectKeys();
      const oldFile = created.files[0];
      assert.ok(oldFile);

      const conflict = await upload(url('/datasets/german-credit/files'), [file('data.csv', second)]);
      await expectProblem(conflict, 409, 'file_exists');
      assert.deepEqual(await app.objectKeys(), oldKeys);

      const replaced = await upload(url('/datasets/german-credit/files?overwrite=true'), [file('data.csv', second)]);
      assert.equal(replaced.status, 201);
      const after = await json<DatasetBody>(replaced);
      assert.equal(after.files.length, 1);
      assert.equal(after.files[0]?.sha256, second.sha256);
      assert.notEqual(after.files[0]?.id, oldFile.id, 'an overwrite is a new file');
      assert.equal((await app.objectKeys()).length, oldKeys.length + 1, 'the new bytes live under a new key, the old stay');
      assert.equal((await downloadAndDigest(app, created.id, after.files[0]?.id ?? '')).sha256, second.sha256);
      // Version 1 still names the old file: downloadable by its id, byte-identical.
      assert.equal((await downloadAndDigest(app, created.id, oldFile.id)).sha256, first.sha256);

      const added = await upload(url(`/datasets/${created.id}/files`), [file('docs/readme.json', bufferFile('{}'))]);
      assert.equal(added.status, 201);
      const withTwo = await json<DatasetBody>(added);
      assert.equal(withTwo.fileCount, 2);
      const readme = withTwo.files.find((item) => item.path === 'docs/readme.json');
      assert.ok(readme);
      const removed = await fetch(url(`/datasets/german-credit/files/${readme.id}`), { method: 'DELETE' });
      assert.equal(removed.status, 204);
      const latest = await json<DatasetBody>(await fetch(url('/datasets/german-credit')));
      assert.deepEqual(
        latest.files.map((item) => item.path),
        ['data.csv'],
      );
      assert.equal((await app.objectKeys()).length, 3, 'version 3 still holds the removed file');
      await expectProblem(
        await fetch(url(`/datasets/german-credit/files/${readme.id}`), { method: 'DELETE' }),
        404,
        'file_not_found',
      );
      assert.equal((await fetch(url('/datasets/german-credit'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), []);
    });

    test('delete is refused while models use the dataset, and cascade removes them with their objects', async () => {
      const created = await json<DatasetBody>(
        await upload(url('/datasets'), [field('name', 'in-use'), file('train.csv', bufferFile('x,y\n'))]),
      );
      // A model row and its object, as the models API will create them.
      const modelId = randomUUID();
      const modelKey = `models/in-use/xgboost/v1-${modelId}/model.json`;
      await app.services.storage.put(modelKey, bufferFile('{"learner":{}}').stream(), { contentType: 'application/json' });
      await app.sql(
        `insert into models (id, owner_id, dataset_id, name, version, framework, format, safe_to_load, key_prefix, state)
         values ($1, 'local', $2, 'xgboost', 1, 'xgboost', 'xgboost-json', true, $3, 'ready')`,
        [modelId, created.id, `models/in-use/xgboost/v1-${modelId}/`],
      );
      await app.sql(
        `insert into files (id, model_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id)
         values ($1, $2, 'local', 'model.json', $3, 'application/json', 14, $4, 'ready', $1)`,
        [randomUUID(), modelId, modelKey, 'ab'.repeat(32)],
      );
      const before = await snapshot(app);
      const refused = await fetch(url('/datasets/in-use'), { method: 'DELETE' });
      const problem = await expectProblem(refused, 409, 'dataset_in_use');
      assert.match(String(problem.detail), /cascade=true/);
      assert.deepEqual(await snapshot(app), before);
      const shown = await json<{ dependants: { models: number } }>(await fetch(url('/datasets/in-use')));
      assert.equal(shown.dependants.models, 1);

      assert.equal((await fetch(url('/datasets/in-use?cascade=true'), { method: 'DELETE' })).status, 204);
      assert.deepEqual(await app.objectKeys(), []);
      assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
    });

    test('lists newest first across pages with an opaque cursor', async () => {
      const names = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
      for (const name of names) {
        assert.equal((await upload(url('/datasets'), [field('name', name), field('tags', 'paging')])).status, 201);
      }
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const query: string = next ? `&cursor=${encodeURIComponent(next)}` : '';
        const response = await fetch(url(`/datasets?limit=2&tag=paging${query}`));
        assert.equal(response.status, 200);
        const page = await json<{ items: DatasetBody[]; nextCursor: string | null }>(response);
        seen.push(...page.items.map((item) => item.name));
        next = page.nextCursor;
        pages += 1;
      } while (next);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...names].reverse());
      await expectProblem(await fetch(url('/datasets?limit=0')), 400, 'validation_failed');
      await expectProblem(await fetch(url('/datasets?limit=101')), 400, 'validation_failed');
      await expectProblem(await fetch(url('/datasets?cursor=bm90LWEtY3Vyc29y')), 400, 'invalid_cursor');
      await expectProblem(await fetch(url('/datasets?sort=name')), 400, 'validation_failed');
      for (const name of names) assert.equal((await fetch(url(`/datasets/${name}`), { method: 'DELETE' })).status, 204);
    });

    test('every refused upload answers with its code and leaves storage and metadata exactly as before', async () => {
      assert.equal((await upload(url('/datasets'), [field('name', 'existing'), file('a.csv', bufferFile('a\n'))])).status, 201);
      const small = bufferFile('a,b\n1,2\n');
      const cases: Array<{ label: string; send: () => Promise<Response>; status: number; code: string }> = [
        { label: 'no name', send: () => upload(url('/datasets'), [file('a.csv', small)]), status: 400, code: 'missing_field' },
        {
          label: 'bad name',
          send: () => upload(url('/datasets'), [field('name', 'Bad Name!')]),
          status: 400,
          code: 'invalid_name',
        },
        {
          label: 'uuid-shaped name',
          send: () => upload(url('/datasets'), [field('name', randomUUID())]),
          status: 400,
          code: 'invalid_name',
        },
        {
          label: 'duplicate name',
          send: () => upload(url('/datasets'), [field('name', 'existing')]),
          status: 409,
          code: 'dataset_exists',
        },
        {
          label: 'a bad descriptive field after the file (checked after the bytes, which are then removed)',
          send: () => upload(url('/datasets'), [field('name', 'late-bad'), file('a.csv', small), field('status', 'Not OK!')]),
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'the field that places the files, after a file',
          send: () => upload(url('/datasets'), [field('name', 'late-field'), file('a.csv', small), field('name', 'other')]),
          status: 400,
          code: 'field_after_file',
        },
        {
          label: 'path traversal',
          send: () => upload(url('/datasets'), [field('name', 'trav'), file('../../etc/passwd.csv', small)]),
          status: 400,
          code: 'invalid_path',
        },
        {
          label: 'absolute path',
          send: () => upload(url('/datasets'), [field('name', 'abs'), file('/etc/x.csv', small)]),
          status: 400,
          code: 'invalid_path',
        },
        {
          label: 'backslash',
          send: () => upload(url('/datasets'), [field('name', 'bs'), file('raw\\x.csv', small)]),
          status: 400,
          code: 'invalid_path',
        },
        {
          label: 'long path',
          send: () => upload(url('/datasets'), [field('name', 'long'), file(`${'d/'.repeat(300)}x.csv`, small)]),
          status: 400,
          code: 'invalid_path',
        },
        {
          label: 'executable',
          send: () => upload(url('/datasets'), [field('name', 'exe'), file('tool.exe', small)]),
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'empty file',
          send: () => upload(url('/datasets'), [field('name', 'empty'), file('empty.csv', bufferFile(''))]),
          status: 422,
          code: 'empty_file',
        },
        {
          label: 'sha256 field mismatch',
          send: () =>
            upload(url('/datasets'), [field('name', 'mismatch'), field('sha256', 'a'.repeat(64)), file('a.csv', small)]),
          status: 422,
          code: 'checksum_mismatch',
        },
        {
          label: 'Repr-Digest mismatch',
          send: () =>
            upload(url('/datasets/existing/files'), [file('b.csv', small)], {
              headers: { 'repr-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` },
            }),
          status: 422,
          code: 'checksum_mismatch',
        },
        {
          label: 'malformed sha256',
          send: () => upload(url('/datasets'), [field('name', 'badsha'), field('sha256', 'xyz')]),
          status: 400,
          code: 'invalid_digest',
        },
        {
          label: 'third of three files refused: all or nothing',
          send: () =>
            upload(url('/datasets'), [
              field('name', 'partial'),
              file('one.csv', small),
              file('two.csv', patternFile(6 * MiB)),
              file('three.bin', small),
            ]),
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'same path twice in one request',
          send: () => upload(url('/datasets'), [field('name', 'twice'), file('a.csv', small), file('a.csv', small)]),
          status: 409,
          code: 'upload_in_progress',
        },
        { label: 'no files on add', send: () => upload(url('/datasets/existing/files'), []), status: 400, code: 'missing_file' },
        {
          label: 'wrong part name',
          send: () => upload(url('/datasets/existing/files'), [{ name: 'upload', filename: 'c.csv', file: small }]),
          status: 400,
          code: 'unexpected_part',
        },
        {
          label: 'unknown field',
          send: () => upload(url('/datasets'), [field('name', 'unknown-field'), field('colour', 'red')]),
          status: 400,
          code: 'unexpected_part',
        },
        {
          label: 'unknown dataset',
          send: () => upload(url('/datasets/nope/files'), [file('a.csv', small)]),
          status: 404,
          code: 'dataset_not_found',
        },
        {
          label: 'JSON to add files (JSON creates an empty dataset; files come as form parts)',
          send: () => sendJson(url('/datasets/existing/files'), 'POST', '{}'),
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'text instead of multipart or JSON',
          send: () => fetch(url('/datasets'), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=x' }),
          status: 415,
          code: 'unsupported_media_type',
        },
        {
          label: 'a JSON dataset with a bad name',
          send: () => sendJson(url('/datasets'), 'POST', '{"name":"Bad Name"}'),
          status: 400,
          code: 'invalid_name',
        },
        {
          label: 'bad file id',
          send: () => fetch(url('/datasets/existing/files/not-a-uuid/download')),
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'expiresIn too long',
          send: () => fetch(url(`/datasets/existing/files/${randomUUID()}/download?expiresIn=604801`)),
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'expiresIn zero',
          send: () => fetch(url(`/datasets/existing/files/${randomUUID()}/download?expiresIn=0`)),
          status: 400,
          code: 'validation_failed',
        },
        {
          label: 'unknown patch key',
          send: () => sendJson(url('/datasets/existing'), 'PATCH', '{"name":"renamed"}'),
          status: 400,
          code: 'validation_failed',
        },
      ];
      for (const item of cases) {
        const before = await snapshot(app);
        const response = await item.send();
        await expectProblem(response, item.status, item.code).catch((error: Error) => {
          throw new Error(`${item.label}: ${error.message}`);
        });
        await eventually(async () => assert.deepEqual(await snapshot(app), before, `${item.label} changed what is stored`), 5000);
      }
      assert.equal((await fetch(url('/datasets/existing?cascade=true'), { method: 'DELETE' })).status, 204);
    });

    test('descriptive fields may follow the files (as Swagger UI sends them); the name may not', async () => {
      const content = bufferFile('late,fields\n1,2\n');
      const response = await upload(url('/datasets'), [
        field('name', 'late-fields'),
        field('tags', 'credit'),
        file('raw/a.csv', content),
        field('description', 'German credit (UCI)'),
        field('tags', 'tabular'),
        field('status', 'processed'),
      ]);
      assert.equal(response.status, 201, await response.clone().text());
      const created = await json<DatasetBody>(response);
      assert.equal(created.files[0]?.sha256, content.sha256);
      const [row] = await app.sql<{ description: string; tags: string[]; status: string; state: string }>(
        'select description, tags, status, state from datasets where id = $1',
        [created.id],
      );
      assert.deepEqual(row, {
        description: 'German credit (UCI)',
        tags: ['credit', 'tabular'],
        status: 'processed',
        state: 'ready',
      });
      assert.equal((await fetch(url('/datasets/late-fields'), { method: 'DELETE' })).status, 204);
    });

    test('a matching Repr-Digest is accepted', async () => {
      const content = bufferFile('digest,ok\n');
      const response = await upload(url('/datasets'), [field('name', 'digest-ok'), file('ok.csv', content)], {
        headers: { 'repr-digest': `sha-256=:${Buffer.from(content.sha256, 'hex').toString('base64')}:` },
      });
      assert.equal(response.status, 201);
      assert.equal((await json<DatasetBody>(response)).files[0]?.sha256, content.sha256);
      assert.equal((await fetch(url('/datasets/digest-ok'), { method: 'DELETE' })).status, 204);
    });

    test('a client that disconnects half-way leaves no object, no open upload and no row', async () => {
      const before = await snapshot(app);
      const controller = new AbortController();
      const big = patternFile(64 * MiB, 'disconnect');
      let sent = 0;
      const chunks = {
        size: big.size,
        sha256: big.sha256,
        stream: big.stream,
        async *chunks() {
          for await (const chunk of big.chunks()) {
            sent += chunk.length;
            if (sent > 24 * MiB) {
              controller.abort();
              return;
            }
            yield chunk;
          }
        },
      };
      await assert.rejects(
        upload(url('/datasets'), [field('name', 'disconnected'), file('big.csv', chunks)], { signal: controller.signal }),
      );
      await eventually(async () => assert.deepEqual(await snapshot(app), before));
      await expectProblem(await fetch(url('/datasets/disconnected')), 404, 'dataset_not_found');
    });

    test('two concurrent uploads of one path: exactly one 201, the other 409, one object stored', async () => {
      assert.equal((await upload(url('/datasets'), [field('name', 'race')])).status, 201);
      const [a, b] = await Promise.all([
        upload(url('/datasets/race/files'), [file('train.parquet', patternFile(12 * MiB, 'race-a'))]),
        upload(url('/datasets/race/files'), [file('train.parquet', patternFile(12 * MiB, 'race-b'))]),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [201, 409], `got ${a.status} and ${b.status}`);
      const loser = a.status === 409 ? a : b;
      const problem = (await loser.json()) as { code: string };
      assert.ok(['upload_in_progress', 'file_exists'].includes(problem.code));
      const winner = await json<DatasetBody>(a.status === 201 ? a : b);
      await eventually(async () => assert.equal((await app.objectKeys()).length, 1));
      assert.equal(winner.files.length, 1);
      const downloaded = await downloadAndDigest(app, winner.id, winner.files[0]?.id ?? '');
      assert.equal(downloaded.sha256, winner.files[0]?.sha256);
      assert.equal((await fetch(url('/datasets/race'), { method: 'DELETE' })).status, 204);
    });
  });

  describe(`size limit on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend, env: { MAX_DATASET_FILE_BYTES: String(6 * MiB) } });

    test('an oversize file is stopped while streaming: 413 file_too_large, nothing kept', async () => {
      const before = await snapshot(app);
      const response = await upload(`${app.baseUrl}/datasets`, [
        field('name', 'too-big'),
        file('ok.csv', bufferFile('a\n')),
        file('huge.csv', patternFile(40 * MiB, 'huge')),
      ]);
      // The answer comes while the client is still sending; the server then closes the connection.
      const problem = await expectProblem(response, 413, 'file_too_large');
      assert.equal(problem.maxBytes, 6 * MiB);
      assert.equal(response.headers.get('connection'), 'close');
      await eventually(async () => assert.deepEqual(await snapshot(app), before));
      const exact = await upload(`${app.baseUrl}/datasets`, [
        field('name', 'exactly-max'),
        file('max.csv', patternFile(6 * MiB, 'max')),
      ]);
      assert.equal(exact.status, 201, 'a file of exactly the limit is accepted');
    });
  });
}

datasetSuite('embedded');
datasetSuite('s3-postgres');
