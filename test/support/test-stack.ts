/** What tests of a real server process start around it, each removed when the test ends. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { r2Environment, startS3Server, type TestS3Server } from './s3-server.ts';

/** A fresh temp folder. */
export async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An S3 server and a fresh Postgres database; `env` points a server process (or a CLI) at both. */
export async function s3AndPostgres(
  t: TestContext,
): Promise<{ s3: TestS3Server; database: TestDatabase; env: Record<string, string> }> {
  const s3 = await startS3Server();
  t.after(() => s3.close());
  const database = await createTestDatabase();
  t.after(() => database.drop());
  return { s3, database, env: { DATABASE_URL: database.url, ...r2Environment(s3) } };
}
