/**
 * Uppy in a real browser (Debian's Chromium, driven by playwright-core): the README's Uppy block,
 * as written (@uppy/aws-s3 wired to the API by client/uppy.ts), uploads a 256 MiB file straight
 * into the S3 server in parts, through the bucket CORS rule of deploy/r2-cors.json. The record is
 * the one a form upload makes, the bytes come back identical, and the API process carried none.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { build } from 'esbuild';
import { projectRoot } from '../src/project-files.ts';
import { patternByte } from './fixtures/pattern-byte.ts';
import { startApp } from './support/app.ts';
import { chromiumSkipReason, launchChromium } from './support/chromium.ts';
import { digestResponse } from './support/data.ts';
import { upload as formUpload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';
import { atServer, readmeBlocks } from './support/readme-blocks.ts';

const skip = postgresSkipReason ?? chromiumSkipReason;
const SIZE = 256 * 1024 * 1024;

function expectedSha256(size: number): string {
  const bytes = Buffer.allocUnsafe(size);
  for (let index = 0; index < size; index += 1) bytes[index] = patternByte(index);
  return createHash('sha256').update(bytes).digest('hex');
}

test('the README’s Uppy block uploads 256 MiB directly to the S3 server through the API’s signed parts', { skip }, async (t) => {
  // The page is served from an origin of its own, which the API and the bucket allow (CORS).
  let script = '';
  const page = http.createServer((request, response) => {
    if (request.url === '/uppy.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>uppy</title><script src="/uppy.js"></script>');
    }
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  t.after(() => page.close());
  const pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;

  const app = await startApp({ backend: 's3-postgres', env: { CORS_ORIGINS: pageOrigin }, bucketCorsOrigins: [pageOrigin] });
  t.after(() => app.close());
  const sockets = new Set<Socket>();
  app.app.server.on('connection', (socket: Socket) => sockets.add(socket));
  const apiReads = () => [...sockets].reduce((total, socket) => total + socket.bytesRead, 0);
  // The dataset the README's block uploads into.
  assert.equal((await formUpload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'ieee-cis-fraud' }])).status, 201);

  const blocks = (await readmeBlocks()).filter((block) => block.language === 'ts' && block.code.includes("from '@uppy/"));
  assert.equal(blocks.length, 1, 'the README has one Uppy block');
  const readmeUppy = atServer(blocks[0]?.code ?? '', app.baseUrl);
  const bundle = await build({
    entryPoints: [path.join(import.meta.dirname, 'fixtures', 'uppy-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
    alias: { '@xai-platform/artifact-client/uppy': path.join(projectRoot(), 'client', 'uppy.ts') },
    plugins: [
      {
        name: 'readme-uppy',
        setup(plugin) {
          plugin.onResolve({ filter: /^readme-uppy$/ }, () => ({ path: 'readme-uppy', namespace: 'readme' }));
          plugin.onLoad({ filter: /.*/, namespace: 'readme' }, () => ({
            contents: readmeUppy,
            loader: 'ts',
            resolveDir: projectRoot(),
          }));
        },
      },
    ],
  });
  script = bundle.outputFiles[0]?.text ?? '';

  const browser = await launchChromium();
  t.after(() => browser.close());
  const tab = await browser.newPage();
  const consoleErrors: string[] = [];
  tab.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await tab.goto(pageOrigin);
  const sha256 = expectedSha256(SIZE);
  const result = (await tab.evaluate(
    (size) => (globalThis as unknown as { uploadWithUppy(size: number): Promise<unknown> }).uploadWithUppy(size),
    SIZE,
  )) as { successful: Array<{ location: string }>; failed: string[]; progress: number[] };
  assert.deepEqual(result.failed, [], `Uppy failed: ${result.failed.join('; ')} ${consoleErrors.join('; ')}`);
  assert.equal(result.successful.length, 1);
  assert.equal(result.progress.at(-1), 100);
  assert.ok(apiReads() < 1024 * 1024, `the API read ${apiReads()} bytes`);

  const dataset = (await (await fetch(`${app.baseUrl}/datasets/ieee-cis-fraud`)).json()) as {
    files: Array<{ id: string; path: string; size: number; sha256: string; contentType: string }>;
  };
  const file = dataset.files.find((candidate) => candidate.path === 'raw/train_transaction.csv');
  assert.ok(file);
  assert.equal(file.size, SIZE);
  assert.equal(file.sha256, sha256);
  assert.equal(file.contentType, 'text/csv');
  const [row] = await app.sql<{ object_key: string }>('select object_key from files where id = $1', [file.id]);
  assert.equal(row?.object_key, `datasets/ieee-cis-fraud/${file.id}/raw/train_transaction.csv`);
  const link = (await (await fetch(`${app.baseUrl}/datasets/ieee-cis-fraud/files/${file.id}/download`)).json()) as {
    url: string;
  };
  assert.equal((await digestResponse(await fetch(link.url))).sha256, sha256);
  assert.equal(await app.incompleteUploads(), 0);
});
