/**
 * A Postgres server of the test's own (initdb in a temp folder, a free port on 127.0.0.1),
 * so a fault test can kill and restart it without disturbing other tests' server. Needs
 * Debian's postgresql binaries and root (to run them as the postgres user).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function binaries(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const version = readdirSync(base).sort((a, b) => Number(b) - Number(a))[0];
  return version ? path.join(base, version, 'bin') : undefined;
}

export const privatePostgresSkipReason =
  process.getuid?.() !== 0
    ? 'a private Postgres server needs root (to run initdb as the postgres user)'
    : !binaries()
      ? "Debian's postgresql binaries are not installed (.ci/run installs them)"
      : undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface PrivatePostgres {
  url: string;
  /** Kills the server at once (pg_ctl stop -m immediate: no clean shutdown). */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binaries();
  if (!bin) throw new Error(privatePostgresSkipReason);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-pg-'));
  await run('chown', ['postgres', dir]);
  const asPostgres = (command: string, args: string[]) =>
    run('su', ['postgres', '-s', '/bin/sh', '-c', [path.join(bin, command), ...args].map((part) => `'${part}'`).join(' ')]);
  await asPostgres('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const start = () =>
    asPostgres('pg_ctl', [
      '-D',
      path.join(dir, 'data'),
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      'start',
    ]).then(() => undefined);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kill: () => asPostgres('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).then(() => undefined),
    start,
    async destroy() {
      await asPostgres('pg_ctl', ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
