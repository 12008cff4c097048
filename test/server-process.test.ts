/**
 * The real process, as `npm start` runs it: starts on the embedded default with no
 * configuration, answers /health and /ready, exits cleanly on SIGTERM, and refuses bad
 * configuration with one line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../src/project-files.ts';

const serverEntry = path.join(projectRoot(), 'routes', 'server.ts');

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, [serverEntry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('with no configuration it serves the embedded default on loopback, ready, and stops on SIGTERM', async (t) => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-process-'));
  t.after(() => fs.rm(dataDir, { recursive: true, force: true }));
  const server = run({ DATA_DIR: dataDir, PORT: '0' });
  t.after(() => server.child.kill('SIGKILL'));
  const address = await waitFor(() => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())?.[1], 30_000);
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
    const server = run(env);
    const code = await server.exited;
    assert.equal(code, 1);
    const lines = server.output().trim().split('\n');
    assert.equal(lines.length, 1, server.output());
    assert.match(lines[0] ?? '', pattern);
    assert.doesNotMatch(server.output(), /do-not-print-me/);
  }
});
