/**
 * The client as a consumer gets it: `npm pack` of client/ (its prepack compiles JavaScript and
 * type declarations), the tarball installed into a scratch project with its one dependency, the
 * consumer's code type-checked against the declarations (strict, no access to this repository's
 * sources), then run with Node against the server: a whole life cycle, a file uploaded from a
 * path on disk, the bytes downloaded again, and a refusal as ApiError.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-files.ts';
import { startApp, type TestApp } from './support/app.ts';
import { sha256Of } from './support/data.ts';
import { apiKey } from './support/identity.ts';

const run = promisify(execFile);
const root = projectRoot();
// npm and node of the running Node (24), whatever else is on PATH.
const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };

const consumer = `import { ApiError, createArtifactClient, type DatasetWithFiles, type Model } from '@xai-platform/artifact-client';

const environment = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const client = createArtifactClient({ baseUrl: environment.API_URL ?? '', token: () => environment.API_KEY });

async function hex(response: Response): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await response.arrayBuffer());
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

const created: DatasetWithFiles = await client.datasets.create({
  name: 'packaged',
  tags: ['credit'],
  files: [{ filename: 'raw/train.csv', data: environment.CSV_PATH ?? '' }],
});
const fileId: string = created.files[0]?.id ?? '';
const downloaded = await hex(await client.datasets.download('packaged', fileId));
const model: Model = await client.models.create({
  dataset: 'packaged',
  name: 'xgboost',
  metrics: { auc: 0.9 },
  file: { filename: 'model.json', data: new Blob(['{"learner":{}}']) },
});
const explanation = await client.explanations.create({
  model: model.id,
  method: 'shap',
  summary: { amount: 0.4 },
  file: { filename: 'shap.json', data: new Blob(['{}']) },
});
// upload() answers the record its target makes, typed by the target (no narrowing needed).
const second: Model = await client.upload(new Uint8Array([123, 125]), {
  type: 'model',
  dataset: 'packaged',
  name: 'second',
  filename: 'model.json',
});
const grown: DatasetWithFiles = await client.upload(new Blob(['a,b\\n1,2\\n']), {
  type: 'dataset-file',
  dataset: 'packaged',
  path: 'raw/small.csv',
});
// Text given where a file path is expected: a clear error, nothing sent.
let mistaken = '';
try {
  await client.datasets.addFiles('packaged', [{ filename: 'raw/text.csv', data: 'age,amount\\n35,1169\\n' }]);
} catch (error) {
  mistaken = error instanceof TypeError ? error.message : String(error);
}
const listed = (await client.models.list({ dataset: 'packaged' })).items.map((item) => item.id);
let refusal = '';
try {
  await client.datasets.create({ name: 'Not A Slug' });
} catch (error) {
  if (error instanceof ApiError) refusal = error.code;
}
await client.datasets.delete('packaged', { cascade: true });
console.log(
  JSON.stringify({
    stored: created.files[0]?.sha256,
    downloaded,
    model: model.id,
    second: { version: second.version, size: second.size },
    grownFiles: grown.files.map((file) => file.path).sort(),
    mistaken,
    listed,
    explanation: explanation.model.id,
    refusal,
  }),
);
`;

let app: TestApp;
const key = apiKey('package-consumer', 'user');
before(async () => {
  app = await startApp({ backend: 'embedded', env: { API_KEYS: key.entry } });
});
after(() => app?.close());

test('the client installs from its tarball, type-checks in a strict project and runs a life cycle', async () => {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-client-package-'));
  try {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: path.join(root, 'client'), env });
    const [tarball] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    assert.ok(tarball, packed.stdout);
    const { filename } = tarball;
    const project = path.join(work, 'consumer');
    await fs.mkdir(project);
    await fs.writeFile(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { '@xai-platform/artifact-client': `file:${path.join(work, filename)}` },
      }),
    );
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, env });
    const installed = await fs.readdir(path.join(project, 'node_modules/@xai-platform/artifact-client/dist'));
    assert.ok(installed.includes('index.js') && installed.includes('index.d.ts'), `installed: ${installed.join(', ')}`);

    await fs.writeFile(path.join(project, 'consumer.ts'), consumer);
    await fs.writeFile(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['es2023', 'dom'],
          types: [],
          strict: true,
          noEmit: true,
        },
        include: ['consumer.ts'],
      }),
    );
    await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, env });

    const csvPath = path.join(work, 'train.csv');
    const csv = Buffer.alloc(1024 * 1024, 'amount,label\n');
    await fs.writeFile(csvPath, csv);
    const { stdout } = await run(process.execPath, ['consumer.ts'], {
      cwd: project,
      env: { ...env, API_URL: app.baseUrl, API_KEY: key.key, CSV_PATH: csvPath },
    });
    const result = JSON.parse(stdout) as {
      stored: string;
      downloaded: string;
      model: string;
      second: { version: number; size: number };
      grownFiles: string[];
      mistaken: string;
      listed: string[];
      explanation: string;
      refusal: string;
    };
    assert.equal(result.stored, sha256Of(csv), 'the file read from disk is what was stored');
    assert.equal(result.downloaded, sha256Of(csv), 'and what came back');
    assert.deepEqual(result.second, { version: 1, size: 2 }, 'bytes in memory upload as they are');
    assert.deepEqual(result.grownFiles, ['raw/small.csv', 'raw/train.csv']);
    assert.match(result.mistaken, /names no file: in Node a string is a file path/);
    assert.equal(result.listed.length, 2);
    assert.ok(result.listed.includes(result.model));
    assert.equal(result.explanation, result.model);
    assert.equal(result.refusal, 'invalid_name');
    assert.deepEqual(await app.objectKeys(), [], 'the consumer deleted everything it made');
    assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
    await fs.rm(path.join(root, 'client/dist'), { recursive: true, force: true });
  }
});
