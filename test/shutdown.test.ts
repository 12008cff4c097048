/**
 * Graceful deploys with the real process: on SIGTERM an upload that finishes within the grace
 * period succeeds, one that does not is aborted with 503 shutting_down and Connection: close,
 * the process exits 0, and the reconciler then finds nothing left behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-files.ts';
import { patternFile } from './support/data.ts';
import { multipart } from './support/multipart.ts';
import { startServerProcess } from './support/server-process.ts';

const root = projectRoot();

/** Sends a multipart upload paced by `delayMs` per 256 KiB chunk; resolves with status, headers and body. */
function pacedUpload(
  base: string,
  name: string,
  size: number,
  delayMs: number,
): { started: Promise<void>; done: Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> } {
  const form = multipart([
    { name: 'name', value: name },
    { name: 'file', filename: 'slow.csv', file: patternFile(size, name) },
  ]);
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const done = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request(
      `${base}/datasets`,
      { method: 'POST', headers: { 'content-type': form.contentType } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.on('socket', (socket) => socket.once('connect', () => markStarted()));
    (async () => {
      for await (const chunk of form.body) {
        for (let offset = 0; offset < chunk.length; offset += 256 * 1024) {
          if (request.destroyed) return;
          request.write(chunk.subarray(offset, offset + 256 * 1024));
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
      request.end();
    })().catch(() => undefined);
  });
  return { started, done };
}

test('SIGTERM: uploads within the grace period finish, the rest get 503 and leave nothing behind', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-shutdown-'));
  t.after(() => fs.rm(dataDir, { recursive: true, force: true }));
  const server = startServerProcess({ DATA_DIR: dataDir, PORT: '0', SHUTDOWN_GRACE_MS: '2000' });
  t.after(() => server.child.kill('SIGKILL'));
  const base = await server.listening();

  // ~1 s of sending: finishes inside the 2 s grace. ~20 s of sending: does not.
  const quick = pacedUpload(base, 'quick', 1024 * 1024, 200);
  const slow = pacedUpload(base, 'slow', 20 * 1024 * 1024, 250);
  await Promise.all([quick.started, slow.started]);
  // Let both requests reach their file parts before the signal.
  await new Promise((resolve) => setTimeout(resolve, 400));
  server.child.kill('SIGTERM');

  const [quickResult, slowResult] = await Promise.all([quick.done, slow.done]);
  assert.equal(quickResult.status, 201, quickResult.body);
  assert.equal(slowResult.status, 503, slowResult.body);
  assert.equal(JSON.parse(slowResult.body).code, 'shutting_down');
  assert.equal(slowResult.headers.connection, 'close');
  assert.ok(Number(slowResult.headers['retry-after']) > 0);
  assert.equal(await server.exited, 0);

  // The reconciler (run now that the single-process PGlite is free) finds nothing to repair.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(root, 'src/cli/reconcile.ts'), '--json', '--older-than', '0s'],
    {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    },
  );
  const report = JSON.parse(stdout) as Record<string, unknown[]>;
  for (const finding of ['stalePendingRows', 'staleUploads', 'orphanObjects', 'missingObjects', 'failures']) {
    assert.deepEqual(report[finding], [], `${finding} after shutdown`);
  }
  const objects = await fs.readdir(path.join(dataDir, 'objects', 'datasets'));
  assert.deepEqual(objects, ['quick'], 'only the finished upload is stored');
});
