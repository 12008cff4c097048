/**
 * Boots the real application on a real socket (127.0.0.1, random port) over real backends:
 * - 'embedded': filesystem storage in a temp folder + PGlite in memory (the default setup);
 * - 's3-postgres': s3rver over HTTP + a fresh database on the TEST_DATABASE_URL server.
 * Every log line is captured, so tests can also check what was (not) logged.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import postgres from 'postgres';
import { buildApp } from '../../routes/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { loggerOptions } from '../../src/logger.ts';
import { PgliteCaller } from '../../src/metadata/pglite-caller.ts';
import { PostgresCaller } from '../../src/metadata/postgres-caller.ts';
import type { SqlFunctionCaller } from '../../src/metadata/sql-caller.ts';
import { createServices, type Services } from '../../src/services.ts';
import { FilesystemStorage } from '../../src/storage/filesystem-storage.ts';
import type { ObjectStorage } from '../../src/storage/port.ts';
import { S3Storage } from '../../src/storage/s3-storage.ts';
import { MANAGED_PREFIXES } from '../../src/uploads/object-keys.ts';
import { apiKey } from './identity.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { startS3Server, type TestS3Server } from './s3-server.ts';

export type Backend = 'embedded' | 's3-postgres';

export interface StartOptions {
  backend: Backend;
  /** Extra environment for loadConfig (limits, TTLs...). */
  env?: Record<string, string>;
  /** s3-postgres: use this database (migrated here) instead of a fresh one on TEST_DATABASE_URL. */
  databaseUrl?: string;
  /** s3-postgres: browser origins the bucket's CORS rule (deploy/r2-cors.json's) allows. */
  bucketCorsOrigins?: string[];
}

export interface TestApp {
  app: FastifyInstance;
  baseUrl: string;
  services: Services;
  config: Config;
  logs: string[];
  s3?: TestS3Server;
  /** Runs SQL on the app's metadata database. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Every object under the prefixes the API manages. */
  objectKeys(): Promise<string[]>;
  /** Multipart uploads (or filesystem temp files) still open. */
  incompleteUploads(): Promise<number>;
  /** Row counts per table, and pending rows. */
  rowCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startApp(options: StartOptions): Promise<TestApp> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'info', ...options.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const logger = pino(loggerOptions({ level: 'info', pretty: false }), sink);

  const cleanups: Array<() => Promise<void>> = [];
  let storage: ObjectStorage;
  let caller: SqlFunctionCaller;
  let sql: TestApp['sql'];
  let s3: TestS3Server | undefined;
  if (options.backend === 'embedded') {
    storage = new FilesystemStorage({ root: path.join(dataDir, 'objects'), signingSecret: `test-${dataDir}` });
    const pglite = await PgliteCaller.open(undefined);
    await pglite.migrate();
    caller = pglite;
    sql = (text, params) => pglite.query(text, params);
  } else {
    s3 = await startS3Server(options.bucketCorsOrigins ? { corsOrigins: options.bucketCorsOrigins } : {});
    const database: TestDatabase = options.databaseUrl
      ? { url: options.databaseUrl, drop: async () => {} }
      : await createTestDatabase();
    // Part size, queue and memory budget as the test's environment sets them.
    const env = options.env ?? {};
    storage = new S3Storage({
      ...s3.config,
      ...(env.UPLOAD_PART_SIZE_BYTES ? { partSize: Number(env.UPLOAD_PART_SIZE_BYTES) } : {}),
      ...(env.UPLOAD_QUEUE_SIZE ? { queueSize: Number(env.UPLOAD_QUEUE_SIZE) } : {}),
      ...(env.UPLOAD_MEMORY_BUDGET_BYTES ? { memoryBudgetBytes: Number(env.UPLOAD_MEMORY_BUDGET_BYTES) } : {}),
    });
    // Prepared statements, as the API's configuration has them for a Postgres server.
    const pg = new PostgresCaller(database.url, { max: 10, prepare: true });
    await pg.migrate();
    caller = pg;
    const raw = postgres(database.url, { max: 2, onnotice: () => {} });
    sql = async (text, params = []) => [...(await raw.unsafe(text, params as string[]))] as never;
    const server = s3;
    cleanups.push(
      async () => {
        await raw.end();
        await database.drop();
      },
      () => server.close(),
    );
  }
  // Every record SQL answers is parsed with the schema the API promises: the seam is checked, not cast.
  const services = await createServices(config, logger, { storage, metadata: caller, checkRecords: true });
  const app = await buildApp({ services, logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    services,
    config,
    logs,
    ...(s3 ? { s3 } : {}),
    sql,
    async objectKeys() {
      const keys: string[] = [];
      for (const prefix of MANAGED_PREFIXES) {
        let cursor: string | undefined;
        do {
          const page = await storage.list(prefix, cursor ? { cursor } : {});
          keys.push(...page.objects.map((object) => object.key));
          cursor = page.nextCursor;
        } while (cursor);
      }
      return keys.sort();
    },
    async incompleteUploads() {
      return (await storage.listIncompleteUploads('')).length;
    },
    async rowCounts() {
      const [row] = await sql<Record<string, number | string>>(
        `select (select count(*) from datasets) as datasets,
                (select count(*) from files) as files,
                (select count(*) from models) as models,
                (select count(*) from explanations) as explanations,
                (select count(*) from datasets where state = 'pending')
                  + (select count(*) from files where state = 'pending')
                  + (select count(*) from models where state = 'pending')
                  + (select count(*) from explanations where state = 'pending') as pending`,
      );
      return Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value)]));
    },
    async close() {
      await app.close();
      await services.close();
      for (const cleanup of cleanups) await cleanup();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The app of a describe block: started in its `before`, closed in its `after`. Its tests use it
 * as if it were the started app (a stand-in that forwards to it once it exists).
 */
export function appFor(options: StartOptions): TestApp {
  let started: TestApp | undefined;
  before(async () => {
    started = await startApp(options);
  });
  after(() => started?.close());
  return new Proxy({} as TestApp, {
    get(_, key) {
      if (!started) throw new Error('the app starts in before(): use it inside a test or hook');
      const value = Reflect.get(started, key);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/** The Fastify demo's `build(t)`: a real app for one test, closed when the test ends. */
export async function build(t: TestContext, options: StartOptions): Promise<TestApp> {
  const app = await startApp(options);
  t.after(() => app.close());
  return app;
}

/** An embedded app with two callers by API key, alice and bob, each a user of their own. */
export async function buildForTwoUsers(t: TestContext, env: Record<string, string> = {}) {
  const alice = apiKey('alice', 'user');
  const bob = apiKey('bob', 'user');
  const app = await build(t, { backend: 'embedded', env: { API_KEYS: `${alice.entry},${bob.entry}`, ...env } });
  /** The headers that make a request one of theirs. */
  const as = (who: { key: string }) => ({ 'x-api-key': who.key });
  return { app, alice, bob, as };
}
