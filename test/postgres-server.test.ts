/**
 * The test Postgres starts from any folder: as root, Postgres runs as `postgres`, which cannot
 * enter a clone in /root/… or in `mktemp -d`; its binaries are then run from a reachable copy.
 * Checked with the binaries package copied into a folder only root can enter.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import postgres from 'postgres';
import { freePort } from './support/free-port.ts';
import { binariesOf, canRun, installedPackage, startPostgresServer } from './support/postgres-server.ts';

const asRoot = os.userInfo().uid === 0;

test('from a folder the postgres user cannot enter, the server still starts and answers', {
  skip: asRoot ? undefined : 'only root runs Postgres as another user; as any other user the binaries run in place',
}, async (t) => {
  const installed = installedPackage();
  const privateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-private-'));
  t.after(() => fs.rm(privateDir, { recursive: true, force: true }));
  await fs.chmod(privateDir, 0o700);
  const copy = path.join(privateDir, 'node_modules', 'pkg');
  await fs.cp(path.dirname(installed), copy, { recursive: true, verbatimSymlinks: true });
  const binaries = await binariesOf(path.join(copy, 'package.json'));
  assert.ok(binaries.ids, 'as root, Postgres runs as another user');
  assert.equal(
    await canRun(path.join(copy, 'native', 'bin', 'initdb'), binaries.ids),
    false,
    'the private copy is out of its reach',
  );
  assert.ok(!binaries.bin.startsWith(privateDir), 'so its binaries run from elsewhere');
  const dataDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'xai-private-data-')), 'data');
  t.after(() => fs.rm(path.dirname(dataDir), { recursive: true, force: true }));
  const server = await startPostgresServer({ binaries, dataDir, port: await freePort() });
  t.after(() => server.stop());
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  t.after(() => sql.end());
  const [row] = await sql`select current_setting('server_version_num')::int as version`;
  assert.ok(Number(row?.version) >= 180000, `Postgres 18 answers (${row?.version})`);
});
