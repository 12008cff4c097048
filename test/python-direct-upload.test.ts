/**
 * The README's Python example for training jobs, run as written with Debian's python3-requests
 * against the API on s3rver + Postgres: the file goes to the S3 server in parts, resumes from a
 * session a crash left behind, and ends as a verified dataset file with the same bytes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-files.ts';
import { startApp, type TestApp } from './support/app.ts';
import { digestResponse, patternFile } from './support/data.ts';
import { upload as formUpload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function readmeExample(): Promise<string> {
  const readme = await fs.readFile(path.join(projectRoot(), 'README.md'), 'utf8');
  const match = /<!-- python-direct-upload -->\n```python\n([\s\S]*?)```/.exec(readme);
  assert.ok(match?.[1], 'the README has the Python direct-upload example');
  return match[1];
}

describe('the README Python direct upload', { skip: postgresSkipReason }, () => {
  let app: TestApp;
  let scratch: string;
  let script: string;
  before(async () => {
    app = await startApp({ backend: 's3-postgres' });
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-python-'));
    script = path.join(scratch, 'upload.py');
    await fs.writeFile(script, await readmeExample());
    assert.equal((await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'ieee-cis-fraud' }])).status, 201);
  });
  after(async () => {
    await app?.close();
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  const python = (file: string, datasetPath: string) =>
    run('python3', [script, file, 'ieee-cis-fraud', datasetPath], { env: { ...process.env, XAI_API_URL: app.baseUrl } });

  async function storedFile(datasetPath: string) {
    const dataset = (await (await fetch(`${app.baseUrl}/datasets/ieee-cis-fraud`)).json()) as {
      files: Array<{ id: string; path: string; sha256: string; size: number }>;
    };
    const file = dataset.files.find((candidate) => candidate.path === datasetPath);
    assert.ok(file, `${datasetPath} is in the dataset`);
    const link = (await (await fetch(`${app.baseUrl}/datasets/ieee-cis-fraud/files/${file.id}/download`)).json()) as {
      url: string;
    };
    return { file, downloaded: await digestResponse(await fetch(link.url)) };
  }

  test('uploads a file in parts and prints the verified SHA-256', async () => {
    const content = patternFile(40 * MiB + 3);
    const source = path.join(scratch, 'train_transaction.csv');
    await pipeline(content.stream(), createWriteStream(source));
    const { stdout } = await python(source, 'raw/train_transaction.csv');
    assert.match(stdout, new RegExp(`stored raw/train_transaction.csv sha256 ${content.sha256}`));
    const { file, downloaded } = await storedFile('raw/train_transaction.csv');
    assert.equal(file.size, content.size);
    assert.equal(downloaded.sha256, content.sha256);
    await assert.rejects(fs.access(`${source}.upload`), 'the session file is removed once the upload is ready');
  });

  test('resumes the session a crashed run left, sending only the parts storage lacks', async () => {
    const content = patternFile(36 * MiB);
    const source = path.join(scratch, 'identity.csv');
    await pipeline(content.stream(), createWriteStream(source));
    // A first run that died after part 1: its session id is on disk, part 1 is in storage.
    const opened = await fetch(`${app.baseUrl}/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        target: { type: 'dataset-file', dataset: 'ieee-cis-fraud', path: 'raw/train_identity.csv' },
        size: content.size,
        sha256: content.sha256,
      }),
    });
    const session = (await opened.json()) as { id: string; partSize: number; parts: Array<{ url: string }> };
    const handle = await fs.open(source);
    const first = Buffer.alloc(session.partSize);
    await handle.read(first, 0, session.partSize, 0);
    await handle.close();
    assert.equal((await fetch(session.parts[0]?.url ?? '', { method: 'PUT', body: first })).status, 200);
    await fs.writeFile(`${source}.upload`, session.id);

    const logsBefore = app.logs.length;
    const { stdout } = await python(source, 'raw/train_identity.csv');
    assert.match(stdout, new RegExp(`sha256 ${content.sha256}`));
    // Every request leaves one log line: count the part URLs the script asked for.
    const signed = app.logs.slice(logsBefore).filter((line) => {
      const entry = JSON.parse(line) as { req?: { method?: string; url?: string } };
      return entry.req?.method === 'POST' && entry.req.url === `/uploads/${session.id}/parts`;
    });
    assert.equal(signed.length, Math.ceil(content.size / session.partSize) - 1, 'part 1 was not sent again');
    const { downloaded } = await storedFile('raw/train_identity.csv');
    assert.equal(downloaded.sha256, content.sha256);
  });
});
