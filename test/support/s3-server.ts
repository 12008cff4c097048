/**
 * A real S3 server for tests: @20minutes/s3rver 5.x on 127.0.0.1 with a random port, a temp
 * folder and its own key pair. It verifies V4 signatures, on headers and on presigned URLs, so
 * a link or request signed wrongly fails here as it would on R2. Its gaps are filled below:
 * - ListMultipartUploads, ListParts and AbortMultipartUpload (a koa middleware over its own store);
 * - two defects of its signature check, patched in its source as it loads (see
 *   patchSignatureCheck): both refuse requests that AWS and R2 accept.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { StorageConfig } from '../../src/config.ts';

const require = createRequire(import.meta.url);
patchSignatureCheck();
const S3rver = require('@20minutes/s3rver') as new (options: object) => S3rverInstance;
const { DUMMY_ACCOUNT } = require('@20minutes/s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  directory: string;
  config: Extract<StorageConfig, { kind: 's3' }>;
  /** Stops serving, cutting every open connection (as a crash would). */
  stop(): Promise<void>;
  /** Serves again on the same port, from the same folder. */
  restart(): Promise<void>;
  /** Stops for good and removes the folder it created (a folder passed in stays). */
  close(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  params: Record<string, string | undefined>;
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

function noSuchUpload(ctx: KoaContext, id: string): void {
  ctx.status = 404;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xmlEscape(id)}</UploadId></Error>`;
}

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
    if (bucket && key && ctx.method === 'GET' && ctx.query.uploadId) {
      const id = ctx.query.uploadId;
      const dir = path.join(uploadsDir(bucket), path.basename(id));
      const names = await fs.readdir(dir).catch(() => undefined);
      if (names === undefined) {
        noSuchUpload(ctx, id);
        return;
      }
      const parts: string[] = [];
      const numbers = names.filter((name) => /^\d+$/.test(name)).map(Number);
      for (const number of numbers.sort((a, b) => a - b)) {
        const file = path.join(dir, String(number));
        const [stat, md5] = await Promise.all([fs.stat(file), fs.readFile(`${file}.md5`, 'utf8').catch(() => '')]);
        parts.push(
          `<Part><PartNumber>${number}</PartNumber><LastModified>${stat.mtime.toISOString()}</LastModified>` +
            `<ETag>&quot;${xmlEscape(md5.trim())}&quot;</ETag><Size>${stat.size}</Size></Part>`,
        );
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(id)}</UploadId>` +
        `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
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
        noSuchUpload(ctx, id);
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

/** The R2 settings that point a server process at this S3 server. */
export function r2Environment(s3: TestS3Server): Record<string, string> {
  return {
    R2_ENDPOINT_URL: s3.endpoint,
    R2_ACCESS_KEY_ID: s3.config.accessKeyId,
    R2_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
    R2_BUCKET_NAME: s3.bucket,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * The bucket CORS rule of deploy/r2-cors.json (what the README tells users to apply to R2), in
 * S3's XML, for the given origins: a browser test then proves that rule is enough.
 */
function corsConfiguration(origins: string[]): string {
  const file = path.join(import.meta.dirname, '..', '..', 'deploy', 'r2-cors.json');
  const { rules } = JSON.parse(readFileSync(file, 'utf8')) as {
    rules: Array<{ allowed: { methods: string[]; headers?: string[] }; exposeHeaders?: string[]; maxAgeSeconds?: number }>;
  };
  const tag = (name: string, values: readonly string[]) =>
    values.map((value) => `<${name}>${xmlEscape(value)}</${name}>`).join('');
  const xmlRules = rules.map(
    (rule) =>
      `<CORSRule>${tag('AllowedOrigin', origins)}${tag('AllowedMethod', rule.allowed.methods)}` +
      `${tag('AllowedHeader', rule.allowed.headers ?? [])}${tag('ExposeHeader', rule.exposeHeaders ?? [])}` +
      `${rule.maxAgeSeconds ? `<MaxAgeSeconds>${rule.maxAgeSeconds}</MaxAgeSeconds>` : ''}</CORSRule>`,
  );
  return `<CORSConfiguration>${xmlRules.join('')}</CORSConfiguration>`;
}

export async function startS3Server(
  options: { port?: number; directory?: string; bucket?: string; corsOrigins?: string[] } = {},
): Promise<TestS3Server> {
  const directory = options.directory ?? (await fs.mkdtemp(path.join(os.tmpdir(), 's3rver-')));
  const bucket = options.bucket ?? 'xai-test';
  const launch = async (port: number) => {
    const instance = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: options.corsOrigins ? [corsConfiguration(options.corsOrigins)] : [] }],
    });
    instance.middleware.unshift(multipartExtensions(instance));
    const address = await instance.run();
    return { instance, port: address.port };
  };
  let { instance, port } = await launch(options.port ?? 0);
  const endpoint = `http://127.0.0.1:${port}`;
  let running = true;
  // A key pair of this server's own: requests signed with anything else are refused.
  const accessKeyId = `XAI${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const stop = async () => {
    if (!running) return;
    running = false;
    const closed = instance.close();
    instance.httpServer?.closeAllConnections();
    await closed;
  };
  return {
    endpoint,
    bucket,
    directory,
    config: {
      kind: 's3',
      endpoint,
      region: 'auto',
      bucket,
      accessKeyId,
      secretAccessKey,
      forcePathStyle: true,
      partSize: 5 * 1024 * 1024,
      queueSize: 4,
      memoryBudgetBytes: 128 * 1024 * 1024,
    },
    stop,
    async restart() {
      if (running) return;
      ({ instance } = await launch(port));
      running = true;
    },
    async close() {
      await stop();
      if (!options.directory) await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver 5.0.0's V4 check differs from AWS's canonical request in two places:
 * - it drops the trailing slash the SDK signs on bucket-level requests (`HEAD /bucket/`),
 *   failing HeadBucket and ListObjectsV2: the canonical URI keeps `ctx.path`'s slash here;
 * - it escapes query values with encodeURIComponent, which leaves ' ( ) * ! as they are, where
 *   AWS (and the SDK) escape them (RFC 3986): a presigned link whose Content-Disposition names
 *   a file with an apostrophe was refused. Its own RFC 3986 encoder is used here.
 * The module is compiled from its patched source into the require cache before s3rver's router
 * loads it; a version whose source differs fails loudly here rather than testing nothing.
 */
function patchSignatureCheck(): void {
  const file = require.resolve('@20minutes/s3rver/lib/middleware/authentication.js');
  if (require.cache[file]) return;
  const fixes: Array<[string, string]> = [
    [
      "    canonicalizedResource = canonicalizedResource\n      .split('/')",
      "    if (ctx.params.bucket && !ctx.params.key && ctx.path.endsWith('/')) canonicalizedResource += '/'\n" +
        "    canonicalizedResource = canonicalizedResource\n      .split('/')",
    ],
    ['[param, value].map(encodeURIComponent)', '[param, value].map(encodeURIComponentRFC3986)'],
  ];
  let source = readFileSync(file, 'utf8');
  for (const [from, to] of fixes) {
    if (!source.includes(from)) throw new Error(`s3rver's authentication.js changed; revisit the patch: ${from}`);
    source = source.replace(from, to);
  }
  const patched = new Module(file) as Module & { _compile(source: string, file: string): void };
  patched.filename = file;
  patched.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  patched._compile(source, file);
  patched.loaded = true;
  require.cache[file] = patched;
}
