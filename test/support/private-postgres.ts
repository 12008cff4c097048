/**
 * A Postgres server of the test's own (real Postgres 18 binaries from the npm registry, a temp
 * folder, a free port on 127.0.0.1; postgres-server.ts), so a fault test can kill and restart it
 * without disturbing the server every other suite shares.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { startPostgresServer } from './postgres-server.ts';

export interface PrivatePostgres {
  url: string;
  /** Kills the server at once (SIGQUIT to the postmaster: an immediate shutdown, no checkpoint). */
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-pg-'));
  const server = await startPostgresServer({
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    settings: { fsync: 'off' },
  });
  return {
    url: server.url,
    kill: server.kill,
    start: server.start,
    async destroy() {
      await server.kill().catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
