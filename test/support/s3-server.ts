/**
 * A real S3 server for tests: s3rver on 127.0.0.1 with a random port and a temp folder.
 * s3rver lacks ListMultipartUploads and AbortMultipartUpload; the koa middleware below adds
 * both over its own store, so abort paths are really exercised. (It never checks V4
 * signatures: no test here claims to prove signature checks.)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { StorageConfig } from '../../src/config.ts';

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  directory: string;
  config: Extract<StorageConfig, { kind: 's3' }>;
  /** Stops serving, cutting every open connection (as a crash would). */
  stop(): Promise<void>;
  /** Serves again on the same port, from the same folder. */
  restart(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  status: number;
  type: string;
  body: unknown;
}

interface S3rverInstance {
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
}

const xmlEscape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function multipartExtensions(server: S3rverInstance) {
  const uploadsDir = (bucket: string) => server.store.getResourcePath(bucket, undefined, 'uploads');
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const [, bucket, ...keyParts] = decodeURIComponent(ctx.path).split('/');
    const key = keyParts.join('/');
    if (bucket && ctx.method === 'GET' && !key && 'uploads' in ctx.query) {
      const prefix = ctx.query.prefix ?? '';
      let ids: string[] = [];
      try {
        ids = await fs.readdir(uploadsDir(bucket));
      } catch {
        ids = [];
      }
      const uploads: string[] = [];
      for (const id of ids) {
        const dir = path.join(uploadsDir(bucket), id);
        const uploadKey = await fs.readFile(path.join(dir, 'key'), 'utf8').catch(() => undefined);
        if (uploadKey === undefined || !uploadKey.startsWith(prefix)) continue;
        const stat = await fs.stat(dir);
        uploads.push(
          `<Upload><Key>${xmlEscape(uploadKey)}</Key><UploadId>${id}</UploadId><Initiated>${stat.birthtime.toISOString()}</Initiated></Upload>`,
        );
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads>` +
        `<IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    if (bucket && key && ctx.method === 'DELETE' && ctx.query.uploadId) {
      const id = ctx.query.uploadId;
      const dir = path.join(uploadsDir(bucket), path.basename(id));
      const exists = await fs.stat(dir).then(
        () => true,
        () => false,
      );
      if (!exists) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xmlEscape(id)}</UploadId></Error>`;
        return;
      }
      await fs.rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    await next();
  };
}

export async function startS3Server(options: { port?: number; directory?: string; bucket?: string } = {}): Promise<TestS3Server> {
  const directory = options.directory ?? (await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-')));
  const bucket = options.bucket ?? 'xai-test';
  const launch = async (port: number) => {
    const instance = new (S3rver as unknown as new (options: object) => S3rverInstance)({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
    });
    instance.middleware.unshift(multipartExtensions(instance));
    const address = await instance.run();
    return { instance, port: address.port };
  };
  let { instance, port } = await launch(options.port ?? 0);
  const endpoint = `http://127.0.0.1:${port}`;
  let running = true;
  return {
    endpoint,
    bucket,
    directory,
    config: {
      kind: 's3',
      endpoint,
      region: 'auto',
      bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: `S3RVER-${randomUUID()}`,
      forcePathStyle: true,
      partSize: 5 * 1024 * 1024,
      queueSize: 4,
      memoryBudgetBytes: 128 * 1024 * 1024,
    },
    async stop() {
      if (!running) return;
      running = false;
      const closed = instance.close();
      instance.httpServer?.closeAllConnections();
      await closed;
    },
    async restart() {
      if (running) return;
      ({ instance } = await launch(port));
      running = true;
    },
  };
}
