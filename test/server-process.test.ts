/**
 * The real process, as `npm start` runs it: starts on the embedded default with no
 * configuration, answers /health and /ready, exits cleanly on SIGTERM, and refuses bad
 * configuration with one line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startServerProcess } from './support/server-process.ts';

test('with no configuration it serves the embedded default on loopback, ready, and stops on SIGTERM', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-process-'));
  t.after(() => fs.rm(dataDir, { recursive: true, force: true }));
  const server = startServerProcess({ DATA_DIR: dataDir, PORT: '0' });
  t.after(() => server.child.kill('SIGKILL'));
  const address = await server.listening();
  assert.match(server.output(), /"storage":"filesystem/);
  assert.match(server.output(), /"metadata":"pglite/);
  const health = await fetch(`${address}/health`);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(`${address}/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', checks: { storage: 'ok', metadata: 'ok' } });
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  // Metadata persisted under DATA_DIR.
  assert.ok((await fs.readdir(path.join(dataDir, 'metadata'))).length > 0);
});

test('bad configuration exits non-zero with one line naming the variable', async () => {
  for (const [env, pattern] of [
    [{ R2_ENDPOINT_URL: 'not-a-url' }, /R2_ENDPOINT_URL/],
    [{ R2_ACCESS_KEY_ID: 'AKID', R2_SECRET_ACCESS_KEY: 'do-not-print-me' }, /partly configured/],
    [{ HOST: '0.0.0.0' }, /refusing to listen on 0\.0\.0\.0 without authentication/],
  ] as const) {
    const server = startServerProcess(env);
    const code = await server.exited;
    assert.equal(code, 1);
    const lines = server.output().trim().split('\n');
    assert.equal(lines.length, 1, server.output());
    assert.match(lines[0] ?? '', pattern);
    assert.doesNotMatch(server.output(), /do-not-print-me/);
  }
});
