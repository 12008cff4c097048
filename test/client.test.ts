/**
 * The typed frontend client against the running server: the whole dataset → model →
 * explanation life cycle, upload progress, typed JSON routes, and problem details as ApiError.
 * Also: client/schema.ts is what openapi-typescript makes of the committed openapi.yaml.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ApiError, type ArtifactClient, createArtifactClient } from '../client/index.ts';
import { projectRoot } from '../src/project-files.ts';
import { startApp, type TestApp } from './support/app.ts';
import { digestResponse, sha256Of } from './support/data.ts';
import { apiKey } from './support/identity.ts';

describe('typed client', () => {
  let app: TestApp;
  let client: ArtifactClient;
  const key = apiKey('frontend-test', 'user');
  before(async () => {
    app = await startApp({ backend: 'embedded', env: { API_KEYS: key.entry } });
    client = createArtifactClient({ baseUrl: app.baseUrl, token: () => key.key });
  });
  after(() => app?.close());

  test('dataset → model → explanation → download, with upload progress', async () => {
    const csv = Buffer.alloc(3 * 1024 * 1024, 'a,b\n');
    const progress: number[] = [];
    const dataset = await client.datasets.create(
      {
        name: 'client-credit',
        tags: ['credit', 'client'],
        files: [{ filename: 'raw/train.csv', data: new Blob([csv]), sha256: sha256Of(csv) }],
      },
      { onProgress: (sent, total) => progress.push(sent / total) },
    );
    assert.equal(dataset.name, 'client-credit');
    assert.equal(dataset.files[0]?.sha256, sha256Of(csv), 'files are there without a non-null assertion');
    assert.ok(progress.length > 1, 'progress was reported as the body went out');
    assert.equal(progress.at(-1), 1);
    assert.deepEqual(
      [...progress].sort((a, b) => a - b),
      progress,
      'progress only grows',
    );
    const file = dataset.files[0];
    assert.ok(file);
    assert.equal((await digestResponse(await client.datasets.download(dataset.name, file.id))).sha256, sha256Of(csv));
    assert.deepEqual(
      (await client.datasets.list({ q: 'client' })).items.map((item) => item.id),
      [dataset.id],
    );
    assert.equal((await client.datasets.update(dataset.id, { status: 'processed' })).status, 'processed');

    const modelBytes = Buffer.from('{"learner":{}}');
    const model = await client.models.create({
      dataset: dataset.id,
      name: 'xgboost',
      framework: 'xgboost',
      metrics: { auc: 0.91 },
      params: { max_depth: 6 },
      file: { filename: 'model.json', data: new Blob([modelBytes]) },
    });
    assert.equal(model.version, 1);
    assert.equal(model.safeToLoad, true);
    const explanation = await client.explanations.create({
      model: model.id,
      method: 'shap',
      summary: { TransactionAmt: 0.31 },
      file: { filename: 'shap.json', data: new Blob(['{"values":[]}']) },
    });
    assert.deepEqual(explanation.summary, { TransactionAmt: 0.31 });
    assert.equal((await client.explanations.get(explanation.id)).model.id, model.id);

    assert.equal((await client.models.latest('client-credit', 'xgboost')).id, model.id);
    const list = await client.api.GET('/models', {
      params: { query: { dataset: 'client-credit', sort: 'metrics.auc', order: 'desc' } },
    });
    assert.deepEqual(
      list.data?.items.map((item) => item.id),
      [model.id],
    );
    const link = await client.models.downloadLink(model.id, { expiresIn: 60 });
    assert.equal((await digestResponse(await fetch(link.url))).sha256, sha256Of(modelBytes));
    assert.equal((await digestResponse(await client.models.download(model.id))).sha256, sha256Of(modelBytes));

    // A version of several files: an MLflow folder, each file downloaded by its id.
    const folder = {
      'model/MLmodel': Buffer.from('flavors: {}\n'),
      'model/model.pkl': Buffer.alloc(70_000, 7),
      'model/requirements.txt': Buffer.from('scikit-learn==1.5\n'),
    };
    const mlflow = await client.models.create({
      dataset: dataset.id,
      name: 'xgboost',
      files: Object.entries(folder).map(([filename, bytes]) => ({ filename, data: new Blob([bytes]) })),
    });
    assert.equal(mlflow.format, 'mlflow');
    assert.equal(mlflow.files.length, 3);
    for (const stored of mlflow.files) {
      const bytes = folder[stored.path as keyof typeof folder];
      assert.equal((await digestResponse(await client.models.downloadFile(mlflow.id, stored.id))).sha256, sha256Of(bytes));
    }
    await assert.rejects(client.models.downloadLink(mlflow.id), (error: ApiError) => error.code === 'multiple_files');

    await client.datasets.delete(dataset.id, { cascade: true });
    assert.deepEqual(await app.objectKeys(), []);
    assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
  });

  test('versions, aliases and lineage: reproduce what a model was trained on', async () => {
    const v1 = Buffer.from('f,label\n1,0\n');
    await client.datasets.create({ name: 'client-lineage', files: [{ filename: 'train.csv', data: new Blob([v1]) }] });
    await client.datasets.addFiles('client-lineage', [{ filename: 'train.csv', data: new Blob(['f,label\n2,1\n']) }], {
      overwrite: true,
    });
    await client.datasets.aliases('client-lineage').set('training', 1);
    const model = await client.models.create({
      dataset: 'client-lineage',
      datasetVersion: 'training',
      name: 'rf',
      file: { filename: 'model.json', data: new Blob(['{}']) },
    });
    assert.equal(model.dataset.version, 1);
    await client.models.aliases('client-lineage', 'rf').set('production', 1);
    assert.equal((await client.models.version('client-lineage', 'rf', 'production')).id, model.id);
    const history = await client.models.aliases('client-lineage', 'rf').history('production');
    assert.deepEqual(
      history.items.map((event) => [event.version, event.previousVersion]),
      [[1, null]],
    );
    const lineage = await client.models.lineage(model.id);
    const snapshot = await client.datasets.version('client-lineage', lineage.dataset.version ?? 0, { links: true });
    assert.equal(snapshot.digest, lineage.dataset.digest);
    const [only] = snapshot.files ?? [];
    assert.ok(only?.url);
    const bytes = await fetch(only.url);
    assert.equal((await digestResponse(bytes)).sha256, sha256Of(v1), 'the exact bytes version 1 had');
    assert.deepEqual(
      (await client.datasets.versions('client-lineage')).items.map((version) => version.version),
      [2, 1],
    );
    assert.deepEqual(
      (await client.datasets.lineage('client-lineage', 'training')).models.map((item) => item.id),
      [model.id],
    );
  });

  test('in Node a file path is uploaded from disk, as it is read', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-client-'));
    const csvPath = path.join(dir, 'train.csv');
    const bytes = Buffer.alloc(2 * 1024 * 1024, 'x,y\n');
    await fs.writeFile(csvPath, bytes);
    const dataset = await client.datasets.create({ name: 'client-disk', files: [{ filename: 'raw/train.csv', data: csvPath }] });
    assert.equal(dataset.files[0]?.sha256, sha256Of(bytes));
    assert.equal(dataset.files[0]?.size, bytes.length);
    await client.datasets.delete('client-disk');
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('refusals arrive as ApiError with the stable code', async () => {
    await assert.rejects(
      client.datasets.create({ name: 'Bad Name' }),
      (error: unknown) => error instanceof ApiError && error.status === 400 && error.code === 'invalid_name',
    );
    await assert.rejects(
      client.datasets.get('no-such-dataset'),
      (error: unknown) => error instanceof ApiError && error.status === 404 && error.code === 'dataset_not_found',
    );
    const anonymous = createArtifactClient({ baseUrl: app.baseUrl });
    const { error, response } = await anonymous.api.GET('/datasets');
    assert.equal(response.status, 401);
    assert.equal((error as { code?: string } | undefined)?.code, 'unauthenticated');
  });
});

test('client/schema.ts is generated from the committed openapi.yaml (npm run client:types)', async (t) => {
  const root = projectRoot();
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-types-'));
  t.after(() => fs.rm(folder, { recursive: true, force: true }));
  const out = path.join(folder, 'schema.ts');
  await promisify(execFile)(
    process.execPath,
    [path.join(root, 'node_modules/openapi-typescript/bin/cli.js'), path.join(root, 'openapi.yaml'), '-o', out],
    { cwd: root },
  );
  assert.equal(await fs.readFile(out, 'utf8'), await fs.readFile(path.join(root, 'client/schema.ts'), 'utf8'));
});
