/**
 * Configuration: one zod schema over the environment, validated once at start by the caller
 * (never at import time). The backends are chosen here, and only here.
 */
import path from 'node:path';
import { z } from 'zod';
import type { UploadLimits } from './uploads/in-flight-uploads.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** R2's (and S3's) longest presigned URL lifetime. */
export const MAX_DOWNLOAD_TTL_SECONDS = 604_800;

/** The configuration, as loadConfig builds it from the environment (its fields say what they mean). */
export type Config = ReturnType<typeof loadConfig>;
export type StorageConfig =
  | {
      kind: 's3';
      endpoint: string;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
      partSize: number;
      queueSize: number;
      /** Memory all uploads in flight may hold in parts, together. */
      memoryBudgetBytes: number;
    }
  | { kind: 'filesystem'; root: string };
/** `dataDir` undefined: PGlite in memory. */
export type MetadataConfig =
  | { kind: 'postgres'; url: string; preparedStatements: boolean }
  | { kind: 'supabase'; url: string; serviceRoleKey: string }
  | { kind: 'pglite'; dataDir: string | undefined };
export type Limits = Config['limits'];
export type AuthConfig = Config['auth'];
export type DirectUploadSettings = Config['directUploads'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional());
const count = (fallback: number) => z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?$/i;
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
/** A size in bytes, or with a unit: 5368709120, 5GiB, 500MB (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024). */
const bytes = (fallback: number) =>
  z.preprocess(
    (value) => {
      const given = emptyAsUndefined(value);
      if (typeof given !== 'string') return given;
      const match = SIZE.exec(given.trim());
      if (!match) return Number.NaN;
      return Math.floor(Number(match[1]) * (UNIT_BYTES[(match[2] ?? 'b').toLowerCase()] ?? 1));
    },
    z.number({ error: 'must be a size: bytes (5368709120) or with a unit (5GiB, 500MB)' }).int().positive().default(fallback),
  );
/** A duration in seconds: 3600, 90s, 30m, 24h, 7d. */
const seconds = (fallback: number) =>
  z.preprocess(
    (value) => {
      const given = emptyAsUndefined(value);
      if (typeof given !== 'string') return given;
      const match = /^(\d+)\s*(s|m|h|d)?$/i.exec(given.trim());
      if (!match) return Number.NaN;
      return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's').toLowerCase() as 's'];
    },
    z
      .number({ error: 'must be a duration: seconds (3600) or with a unit (90s, 30m, 24h, 7d)' })
      .int()
      .positive()
      .default(fallback),
  );
const flag = (fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1'),
  );

const envSchema = z.object({
  HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  PUBLIC_URL: optionalUrl,
  TRUST_PROXY: flag(false),
  CORS_ORIGINS: optionalString,
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  NODE_ENV: optionalString,
  LOG_PRETTY: z.preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0']).optional()),
  SHUTDOWN_GRACE_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(30_000)),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),

  R2_ACCOUNT_ID: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[0-9a-zA-Z]+$/, 'must be alphanumeric')
      .optional(),
  ),
  R2_ACCESS_KEY_ID: optionalString,
  R2_SECRET_ACCESS_KEY: optionalString,
  R2_BUCKET_NAME: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3-63 lowercase letters, digits, hyphens (and dots)')
      .optional(),
  ),
  R2_ENDPOINT_URL: optionalUrl,
  S3_REGION: z.preprocess(emptyAsUndefined, z.string().default('auto')),
  S3_FORCE_PATH_STYLE: flag(false),
  UPLOAD_PART_SIZE_BYTES: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(5 * MiB, 'must be at least 5 MiB (5242880)')
      .max(5 * GiB)
      .default(8 * MiB),
  ),
  UPLOAD_QUEUE_SIZE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(32).default(4)),
  UPLOAD_MEMORY_BUDGET_BYTES: bytes(128 * MiB),
  UPLOAD_CONCURRENCY: count(128),
  UPLOAD_CONCURRENCY_PER_CALLER: count(32),
  UPLOAD_IDLE_TIMEOUT_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(840).default(60)),
  DIRECT_UPLOAD_PART_SIZE: bytes(16 * MiB).pipe(
    z
      .number()
      .min(5 * MiB, 'must be at least 5 MiB')
      .max(5 * GiB),
  ),
  UPLOAD_SESSION_TTL: seconds(24 * 3600),
  UPLOAD_SESSIONS_PER_CALLER: count(32),
  VERIFY_CONCURRENCY: count(2),
  PROFILE_MAX_COLUMNS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(2000)),
  VERIFY_LEASE_SECONDS: seconds(60).pipe(z.number().min(2, 'must be at least 2 seconds')),

  SUPABASE_URL: optionalUrl,
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  SUPABASE_JWT_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  API_KEYS: optionalString,
  METADATA_BACKEND: z.preprocess(emptyAsUndefined, z.enum(['postgres', 'supabase', 'pglite']).optional()),
  RECONCILE_OLDER_THAN_MINUTES: count(120),
  IMPORT_S3_ENDPOINT: optionalUrl,
  IMPORT_S3_ACCESS_KEY_ID: optionalString,
  IMPORT_S3_SECRET_ACCESS_KEY: optionalString,
  IMPORT_S3_REGION: optionalString,
  RECONCILE_INTERVAL_MINUTES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(0)),
  RATE_LIMIT_UPLOADS_PER_MINUTE: count(60),
  RATE_LIMIT_DOWNLOADS_PER_MINUTE: count(600),
  RATE_LIMIT_REQUESTS_PER_MINUTE: count(1200),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
      .optional(),
  ),
  DATABASE_PREPARED_STATEMENTS: z.preprocess(
    emptyAsUndefined,
    z.enum(['auto', 'true', 'false', '1', '0'], { error: 'must be auto, true or false' }).default('auto'),
  ),

  MAX_DATASET_FILE_BYTES: bytes(5 * GiB),
  MAX_MODEL_FILE_BYTES: bytes(5 * GiB),
  MAX_EXPLANATION_FILE_BYTES: bytes(1 * GiB),
  MAX_FIELD_BYTES: bytes(1 * MiB),
  MAX_PARTS: count(1000),
  DOWNLOAD_URL_TTL_SECONDS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(MAX_DOWNLOAD_TTL_SECONDS).default(900),
  ),
  DOWNLOAD_SIGNING_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
});

export type Env = z.infer<typeof envSchema>;

/** Validates the environment; throws ConfigError with one line naming the problem. */
export function loadConfig(environment: NodeJS.ProcessEnv) {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    // Issue messages name the variable and the rule, never the value (which may be a secret).
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.DATA_DIR);
  const auth = authConfig(env);
  if (!auth.enabled && !isLoopback(env.HOST)) {
    throw new ConfigError(
      `Invalid configuration: refusing to listen on ${env.HOST} without authentication; set SUPABASE_URL or SUPABASE_JWT_SECRET (user tokens) or API_KEYS, or listen on 127.0.0.1`,
    );
  }
  return {
    host: env.HOST,
    port: env.PORT,
    /** Origin for links the API serves itself (filesystem storage); default the request's host. */
    publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
    /** Trust X-Forwarded-* (behind Railway's or another proxy). */
    trustProxy: env.TRUST_PROXY,
    /** Browser origins allowed by CORS ('*' for any, without credentials); empty: none. */
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    logLevel: env.LOG_LEVEL,
    prettyLogs: env.LOG_PRETTY === undefined ? env.NODE_ENV === 'development' : ['true', '1'].includes(env.LOG_PRETTY),
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    dataDir,
    storage: storageConfig(env, dataDir),
    metadata: metadataConfig(env, dataDir),
    limits: {
      datasetFileBytes: env.MAX_DATASET_FILE_BYTES,
      modelFileBytes: env.MAX_MODEL_FILE_BYTES,
      explanationFileBytes: env.MAX_EXPLANATION_FILE_BYTES,
      fieldBytes: env.MAX_FIELD_BYTES,
      parts: env.MAX_PARTS,
    },
    uploads: {
      maxConcurrent: env.UPLOAD_CONCURRENCY,
      maxConcurrentPerPrincipal: env.UPLOAD_CONCURRENCY_PER_CALLER,
      idleTimeoutMs: env.UPLOAD_IDLE_TIMEOUT_SECONDS * 1000,
    } satisfies UploadLimits,
    /** Direct uploads (client to the object store in presigned parts) and their verification. */
    directUploads: {
      /** Part size offered when the client proposes none (raised so that no file needs over 10,000 parts). */
      partSizeBytes: env.DIRECT_UPLOAD_PART_SIZE,
      /** A session not completed within this long is aborted by the reconciler. */
      sessionTtlSeconds: env.UPLOAD_SESSION_TTL,
      /** Sessions one caller may have taking parts at once (past it 429 too_many_uploads). */
      maxOpenPerCaller: env.UPLOAD_SESSIONS_PER_CALLER,
      /** Verifications (read-backs) at once in this process. */
      verifyConcurrency: env.VERIFY_CONCURRENCY,
      /** A verifier holds its job this long between heartbeats; a crashed one's job is taken over after it. */
      verifyLeaseSeconds: env.VERIFY_LEASE_SECONDS,
    },
    /** Dataset profiles: columns profiled per file (the rest are counted). */
    profiles: { maxColumns: env.PROFILE_MAX_COLUMNS },
    downloads: { defaultTtlSeconds: env.DOWNLOAD_URL_TTL_SECONDS, signingSecret: env.DOWNLOAD_SIGNING_SECRET },
    auth,
    /** The reconciler touches only what is older than this. */
    reconcileOlderThanMs: env.RECONCILE_OLDER_THAN_MINUTES * 60_000,
    /** `npm run import -- --from s3://…`: the source bucket's endpoint and keys (default: the R2 settings). */
    importS3: {
      endpoint: env.IMPORT_S3_ENDPOINT,
      accessKeyId: env.IMPORT_S3_ACCESS_KEY_ID,
      secretAccessKey: env.IMPORT_S3_SECRET_ACCESS_KEY,
      region: env.IMPORT_S3_REGION,
    },
    /** Run the reconciler inside the server this often (0: never; use `npm run reconcile`). */
    reconcileIntervalMs: env.RECONCILE_INTERVAL_MINUTES * 60_000,
    rateLimits: {
      uploadsPerMinute: env.RATE_LIMIT_UPLOADS_PER_MINUTE,
      downloadsPerMinute: env.RATE_LIMIT_DOWNLOADS_PER_MINUTE,
      requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
    },
  };
}

/** CORS_ORIGINS: comma-separated origins (scheme://host[:port]) or '*'. */
function parseCorsOrigins(raw: string | undefined): string[] {
  if (!raw) return [];
  const origins = raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (origins.includes('*')) {
    if (origins.length > 1)
      throw new ConfigError('Invalid configuration: CORS_ORIGINS is either * or a list of origins, not both');
    return ['*'];
  }
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `Invalid configuration: CORS_ORIGINS entries must be origins like https://app.example.com (got ${JSON.stringify(origin)})`,
      );
    }
  }
  return origins;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const API_KEY_ENTRY = /^([a-z0-9][a-z0-9_-]{0,62}):(user|admin):([0-9a-fA-F]{64})(?::([A-Za-z0-9_.:@-]{1,128}))?$/;

/**
 * API_KEYS: entries `name:role:sha256hex[:ownerId]`, separated by commas or whitespace. A key is
 * configured by its SHA-256, never itself; it acts as `ownerId` (default `apikey:{name}`).
 */
function parseApiKeys(raw: string | undefined) {
  if (!raw) return [];
  const keys = raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry, index) => {
      const match = API_KEY_ENTRY.exec(entry);
      if (!match) {
        // The entry holds only a hash, but say which one by position, not by content.
        throw new ConfigError(
          `Invalid configuration: API_KEYS entry ${index + 1} must be name:role:sha256hex[:ownerId] with role user or admin`,
        );
      }
      const [, name, role, hash, ownerId] = match as unknown as [string, string, 'user' | 'admin', string, string | undefined];
      return { name, role, sha256: Buffer.from(hash.toLowerCase(), 'hex'), ownerId: ownerId ?? `apikey:${name}` };
    });
  const names = new Set(keys.map((key) => key.name));
  if (names.size !== keys.length) throw new ConfigError('Invalid configuration: API_KEYS has two keys with the same name');
  return keys;
}

function authConfig(env: Env) {
  const supabaseUrl = env.SUPABASE_URL?.replace(/\/+$/, '');
  const apiKeys = parseApiKeys(env.API_KEYS);
  return {
    /** False: no authentication configured; only allowed on a loopback address. */
    enabled: Boolean(supabaseUrl || env.SUPABASE_JWT_SECRET || apiKeys.length > 0),
    /** For asymmetric Supabase signing keys. */
    jwksUrl: supabaseUrl ? `${supabaseUrl}/auth/v1/.well-known/jwks.json` : undefined,
    /** Unchecked when SUPABASE_URL is unset. */
    issuer: supabaseUrl ? `${supabaseUrl}/auth/v1` : undefined,
    /** Supabase's legacy HS256 JWT secret. */
    jwtSecret: env.SUPABASE_JWT_SECRET,
    apiKeys,
  };
}

function storageConfig(env: Env, dataDir: string): StorageConfig {
  const given = {
    R2_ACCESS_KEY_ID: env.R2_ACCESS_KEY_ID,
    R2_SECRET_ACCESS_KEY: env.R2_SECRET_ACCESS_KEY,
    R2_BUCKET_NAME: env.R2_BUCKET_NAME,
  };
  const anySet = Object.values(given).some(Boolean) || Boolean(env.R2_ACCOUNT_ID || env.R2_ENDPOINT_URL);
  if (!anySet) return { kind: 'filesystem', root: path.join(dataDir, 'objects') };
  const missing = Object.entries(given)
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (!env.R2_ACCOUNT_ID && !env.R2_ENDPOINT_URL) missing.push('R2_ACCOUNT_ID or R2_ENDPOINT_URL');
  if (missing.length > 0) {
    throw new ConfigError(`Invalid configuration: R2 storage is partly configured; missing ${missing.join(', ')}`);
  }
  return {
    kind: 's3',
    endpoint: env.R2_ENDPOINT_URL ?? `https://${env.R2_ACCOUNT_ID}.r2.cloudflarestorage.com`,
    region: env.S3_REGION,
    bucket: env.R2_BUCKET_NAME as string,
    accessKeyId: env.R2_ACCESS_KEY_ID as string,
    secretAccessKey: env.R2_SECRET_ACCESS_KEY as string,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    partSize: env.UPLOAD_PART_SIZE_BYTES,
    queueSize: env.UPLOAD_QUEUE_SIZE,
    memoryBudgetBytes: env.UPLOAD_MEMORY_BUDGET_BYTES,
  };
}

/**
 * Prepared statements save a round trip and a socket write per query (postgres.js otherwise
 * asks the server for a statement's parameter types before every call): GET /datasets served
 * ~19 % more with them. `auto` turns them off only on port 6543, Supabase's transaction pooler,
 * which shares server connections between clients and so cannot keep a client's statements;
 * its session pooler (5432), a direct connection and PgBouncer in session mode keep them.
 * Another pooler in transaction mode needs `false`.
 */
function preparedStatements(env: Env, url: string): boolean {
  const setting = env.DATABASE_PREPARED_STATEMENTS;
  if (setting !== 'auto') return setting === 'true' || setting === '1';
  try {
    return new URL(url).port !== '6543';
  } catch {
    return false;
  }
}

function metadataConfig(env: Env, dataDir: string): MetadataConfig {
  if (env.METADATA_BACKEND === 'pglite') return { kind: 'pglite', dataDir: path.join(dataDir, 'metadata') };
  if (env.METADATA_BACKEND === 'postgres' && !env.DATABASE_URL) {
    throw new ConfigError('Invalid configuration: METADATA_BACKEND=postgres needs DATABASE_URL');
  }
  if (env.METADATA_BACKEND === 'supabase' && !(env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY)) {
    throw new ConfigError('Invalid configuration: METADATA_BACKEND=supabase needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY');
  }
  if (env.METADATA_BACKEND === 'supabase' && env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) {
    return { kind: 'supabase', url: env.SUPABASE_URL.replace(/\/+$/, ''), serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY };
  }
  if (env.DATABASE_URL) {
    return { kind: 'postgres', url: env.DATABASE_URL, preparedStatements: preparedStatements(env, env.DATABASE_URL) };
  }
  if (env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) {
    return { kind: 'supabase', url: env.SUPABASE_URL.replace(/\/+$/, ''), serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY };
  }
  if (env.SUPABASE_SERVICE_ROLE_KEY) {
    throw new ConfigError('Invalid configuration: SUPABASE_SERVICE_ROLE_KEY is set without SUPABASE_URL');
  }
  if (env.SUPABASE_URL) {
    // Without this check a deploy that forgot the key would quietly keep metadata in a local PGlite.
    throw new ConfigError(
      'Invalid configuration: SUPABASE_URL is set but neither SUPABASE_SERVICE_ROLE_KEY nor DATABASE_URL is; metadata has nowhere to go (METADATA_BACKEND=pglite keeps it in DATA_DIR on purpose)',
    );
  }
  return { kind: 'pglite', dataDir: path.join(dataDir, 'metadata') };
}

/** What the server logs at start: which backends, never a credential. */
export function describeBackends(config: Config): Record<string, string> {
  const storage =
    config.storage.kind === 's3'
      ? `s3 (${new URL(config.storage.endpoint).host}, bucket ${config.storage.bucket})`
      : `filesystem (${config.storage.root})`;
  const metadata =
    config.metadata.kind === 'postgres'
      ? `postgres (${safeDatabaseHost(config.metadata.url)})`
      : config.metadata.kind === 'supabase'
        ? `supabase (${new URL(config.metadata.url).host})`
        : `pglite (${config.metadata.dataDir ?? 'in memory'})`;
  return { storage, metadata };
}

function safeDatabaseHost(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return 'unparsable url';
  }
}
