/**
 * The real process, as `npm start` runs it: starts on the embedded default with no
 * configuration, answers /health and /ready, exits cleanly on SIGTERM, and refuses bad
 * configuration with one line.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-files.ts';
import { r2Environment, startS3Server } from './support/s3-server.ts';
import { startServerProcess } from './support/server-process.ts';
import { tempDir } from './support/test-stack.ts';

test('with no configuration it serves the embedded default on loopback, ready, and stops on SIGTERM', async (t) => {
  const dataDir = await tempDir(t, 'xai-process-');
  const server = startServerProcess({ DATA_DIR: dataDir, PORT: '0' }, t);
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

test('a deploy that cannot work exits at start with one line naming the variable, never a value', async (t) => {
  const s3 = await startS3Server();
  t.after(() => s3.close());
  const dataDir = await tempDir(t, 'xai-misconfigured-');
  const r2 = { DATA_DIR: dataDir, PORT: '0', ...r2Environment(s3) };
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const busyPort = String((blocker.address() as net.AddressInfo).port);
  for (const [label, env, pattern] of [
    ['no such bucket', { ...r2, R2_BUCKET_NAME: 'no-such-bucket' }, /R2_BUCKET_NAME names no bucket/],
    ['unknown key id', { ...r2, R2_ACCESS_KEY_ID: 'AKIDUNKNOWN000' }, /R2_ACCESS_KEY_ID is not a key/],
    ['wrong secret', { ...r2, R2_SECRET_ACCESS_KEY: 'do-not-print-me-wrong-secret' }, /R2_SECRET_ACCESS_KEY does not belong/],
    [
      'unreachable database',
      { DATA_DIR: dataDir, PORT: '0', DATABASE_URL: 'postgres://app:do-not-print-me@127.0.0.1:1/xai' },
      /DATABASE_URL: the database could not be reached/,
    ],
    ['port in use', { DATA_DIR: dataDir, PORT: busyPort }, new RegExp(`PORT ${busyPort} on 127\\.0\\.0\\.1 is already in use`)],
  ] as const) {
    const server = startServerProcess(env);
    assert.equal(await server.exited, 1, `${label}: ${server.output()}`);
    const lines = server
      .output()
      .trim()
      .split('\n')
      .filter((line) => !line.includes('"backends chosen"'));
    assert.equal(lines.length, 1, `${label}: ${server.output()}`);
    assert.match(lines[0] ?? '', pattern, label);
    assert.doesNotMatch(server.output(), /do-not-print-me|Server listening/, label);
  }
  // The same settings with the right bucket start and serve.
  const good = startServerProcess(r2, t);
  const address = await good.listening();
  assert.equal((await fetch(`${address}/ready`)).status, 200);
});

test('one process per embedded data folder: a second server is refused, and reconcile runs through the running one', async (t) => {
  const dataDir = await tempDir(t, 'xai-lock-');
  const first = startServerProcess({ DATA_DIR: dataDir, PORT: '0' }, t);
  const address = await first.listening();

  const second = startServerProcess({ DATA_DIR: dataDir, PORT: '0' });
  assert.equal(await second.exited, 1, second.output());
  const lines = second
    .output()
    .trim()
    .split('\n')
    .filter((line) => !line.includes('"backends chosen"'));
  assert.equal(lines.length, 1, second.output());
  assert.match(lines[0] ?? '', /DATA_DIR is in use by another process/);

  // The reconciler cannot open the folder either: the running server reconciles on its behalf.
  const reconcile = (args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(projectRoot(), 'src/cli/reconcile.ts'), ...args], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
    });
  const { stdout } = await reconcile(['--json', '--older-than', '0s']);
  const report = JSON.parse(stdout) as { dryRun: boolean; failures: unknown[]; orphanObjects: unknown[] };
  assert.equal(report.dryRun, false);
  assert.deepEqual(report.failures, []);
  assert.equal((await fetch(`${address}/ready`)).status, 200, 'the server still serves');

  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
  // With the server gone, the CLI opens the folder itself.
  const direct = await reconcile(['--dry-run']);
  assert.match(direct.stdout, /reconcile \(dry run\) of everything older than/);
});
