/**
 * What each setting means, beside the schema that validates it (src/config.ts): the README's
 * configuration table is rendered from this (npm run readme:tables), and a test checks that every
 * variable of the schema is documented here and that the README shows what this renders.
 */
import type { Env } from './config.ts';

export interface SettingDoc {
  default: string;
  meaning: string;
}

export const settingDocs: Record<keyof Env, SettingDoc> = {
  HOST: { default: '`127.0.0.1`', meaning: 'where to listen (the Docker image sets `0.0.0.0`)' },
  PORT: { default: '`3000`', meaning: 'port to listen on (Railway sets it)' },
  PUBLIC_URL: { default: "the request's host", meaning: 'origin for links the API serves itself (filesystem storage)' },
  TRUST_PROXY: { default: '`false`', meaning: 'trust `X-Forwarded-*` (set in the Docker image for Railway)' },
  CORS_ORIGINS: { default: 'none', meaning: 'browser origins allowed by CORS, comma-separated, or `*`' },
  LOG_LEVEL: { default: '`info`', meaning: 'pino level' },
  LOG_PRETTY: { default: 'off (on when `NODE_ENV=development`)', meaning: 'pretty logs (needs the dev dependencies)' },
  NODE_ENV: { default: '—', meaning: '`production` in the Docker image; `development` turns on pretty logs' },
  SHUTDOWN_GRACE_MS: { default: '30000', meaning: 'on SIGTERM, how long in-flight uploads may take before they are aborted' },
  DATA_DIR: { default: '`./data`', meaning: 'embedded default: `objects/` and `metadata/` (PGlite) live here' },
  R2_ACCOUNT_ID: { default: '—', meaning: 'R2 account; the endpoint derives from it' },
  R2_ACCESS_KEY_ID: { default: '—', meaning: 'R2 API token key id (Object Read & Write on the bucket)' },
  R2_SECRET_ACCESS_KEY: { default: '—', meaning: "that token's secret" },
  R2_BUCKET_NAME: {
    default: '—',
    meaning: 'the bucket (3-63 lowercase letters, digits, hyphens); all R2 settings are needed once any is set',
  },
  R2_ENDPOINT_URL: { default: '`https://{account}.r2.cloudflarestorage.com`', meaning: 'any S3 endpoint (MinIO, AWS)' },
  S3_REGION: { default: '`auto`', meaning: 'signing region, for S3 servers that need one' },
  S3_FORCE_PATH_STYLE: {
    default: '`false`',
    meaning:
      'bucket in the path instead of the host name. MinIO and other self-hosted servers: set `true` when the endpoint is a host name (`http://minio:9000`, `http://localhost:9000`); an IP-address endpoint (`http://127.0.0.1:9000`) is always addressed by path, as the AWS SDK does',
  },
  UPLOAD_PART_SIZE_BYTES: { default: '8 MiB', meaning: 'multipart part size (≥ 5 MiB)' },
  UPLOAD_QUEUE_SIZE: { default: '4', meaning: 'parts in flight per upload' },
  UPLOAD_MEMORY_BUDGET_BYTES: {
    default: '128 MiB',
    meaning:
      'memory of all S3 uploads together: part buffers with 1 MiB each for the socket reads that fill them, less 48 MiB while the dataset profiling thread runs and 32 MiB per Parquet reading thread (a bound: past the buffers an upload waits, unread, for its turn)',
  },
  UPLOAD_CONCURRENCY: { default: '128', meaning: 'uploads at once in total; past it 503 `server_busy`' },
  UPLOAD_CONCURRENCY_PER_CALLER: {
    default: '32',
    meaning: 'uploads at once per caller, direct-upload parts the API receives itself included; past it 429 `too_many_uploads`',
  },
  UPLOAD_IDLE_TIMEOUT_SECONDS: {
    default: '60',
    meaning: 'an upload whose body brings < 16 KiB in this long is aborted (408 `upload_stalled`); 0 turns it off',
  },
  DIRECT_UPLOAD_PART_SIZE: {
    default: '16 MiB',
    meaning: 'part size of direct uploads when the client proposes none (raised to keep ≤ 10,000 parts)',
  },
  UPLOAD_SESSIONS_PER_CALLER: {
    default: '32',
    meaning: 'direct uploads one caller may have open (taking parts) at once; past it 429 `too_many_uploads`',
  },
  UPLOAD_SESSION_TTL: { default: '24h', meaning: 'a direct upload not completed in this long is aborted by the reconciler' },
  VERIFY_CONCURRENCY: { default: '2', meaning: 'direct uploads verified (read back and hashed) at once per process' },
  PROFILE_MAX_COLUMNS: {
    default: '2000',
    meaning: 'columns profiled per dataset file (CSV, TSV, JSON lines, Parquet); the rest are counted; 0 turns profiling off',
  },
  VERIFY_LEASE_SECONDS: {
    default: '60',
    meaning: "how long a crashed process's verification stays claimed before another process takes it over",
  },
  DATABASE_URL: {
    default: '—',
    meaning: "metadata in this Postgres (e.g. Supabase's connection string); migrations applied at start",
  },
  DATABASE_PREPARED_STATEMENTS: {
    default: '`auto`',
    meaning:
      '`auto`: prepared statements (one round trip a query instead of two) except on port 6543, Supabase’s transaction pooler, which cannot keep them; `false` for another pooler in transaction mode',
  },
  SUPABASE_URL: {
    default: '—',
    meaning: 'the Supabase project: JWT issuer and JWKS; with the service key, metadata through its API',
  },
  SUPABASE_SERVICE_ROLE_KEY: { default: '—', meaning: 'metadata through Supabase’s API when `DATABASE_URL` is not set' },
  SUPABASE_JWT_SECRET: { default: '—', meaning: 'legacy HS256 secret of access tokens (≥ 32 characters)' },
  API_KEYS: { default: '—', meaning: 'API keys as `name:role:sha256[:ownerId]`, comma-separated (see Authentication)' },
  METADATA_BACKEND: {
    default: 'from the other settings',
    meaning: '`postgres`, `supabase` or `pglite`, when the choice is ambiguous',
  },
  RECONCILE_OLDER_THAN_MINUTES: { default: '120', meaning: 'the reconciler touches only what is older than this' },
  IMPORT_S3_ENDPOINT: {
    default: 'the R2 endpoint',
    meaning:
      "`npm run import -- --from s3://bucket/prefix`: the source bucket's S3 endpoint (another R2 account, Supabase Storage's `…/storage/v1/s3`)",
  },
  IMPORT_S3_ACCESS_KEY_ID: { default: '`R2_ACCESS_KEY_ID`', meaning: "the import source's access key (read-only is enough)" },
  IMPORT_S3_SECRET_ACCESS_KEY: { default: '`R2_SECRET_ACCESS_KEY`', meaning: "that key's secret" },
  IMPORT_S3_REGION: {
    default: '`S3_REGION`',
    meaning: "the import source's signing region (Supabase Storage: the project's region)",
  },
  RECONCILE_INTERVAL_MINUTES: { default: '0 (off)', meaning: 'the server runs the reconciler itself this often' },
  RATE_LIMIT_UPLOADS_PER_MINUTE: {
    default: '60',
    meaning: 'uploads per caller per minute; past it 429. On Postgres or Supabase the budgets are shared by every replica',
  },
  RATE_LIMIT_DOWNLOADS_PER_MINUTE: { default: '600', meaning: 'download links per caller per minute' },
  RATE_LIMIT_REQUESTS_PER_MINUTE: { default: '1200', meaning: 'other requests per caller per minute' },
  MAX_DATASET_FILE_BYTES: { default: '5 GiB', meaning: 'largest dataset file, enforced while streaming' },
  MAX_MODEL_FILE_BYTES: { default: '5 GiB', meaning: 'largest model file' },
  MAX_EXPLANATION_FILE_BYTES: { default: '1 GiB', meaning: 'largest explanation file' },
  MAX_FIELD_BYTES: { default: '1 MiB', meaning: 'largest multipart text field' },
  MAX_PARTS: { default: '1000', meaning: 'parts in one multipart request' },
  DOWNLOAD_URL_TTL_SECONDS: { default: '900', meaning: 'default download URL lifetime (`?expiresIn=` 1 to 604800)' },
  DOWNLOAD_SIGNING_SECRET: { default: 'generated in `DATA_DIR`', meaning: "HMAC key of the filesystem adapter's download links" },
};

/** How a deploy (Railway + R2 + Supabase) sets a variable, and where its value comes from. */
export interface DeployDoc {
  /** required: always; choose: one of DATABASE_URL or SUPABASE_SERVICE_ROLE_KEY; optional: when wanted. */
  need: 'required' | 'choose' | 'optional';
  where: string;
}

/**
 * The deploy checklist's variables (README.md) and .env.example, rendered from here by
 * `npm run readme:tables`; every other variable keeps its default on Railway.
 */
export const deployDocs: Partial<Record<keyof Env, DeployDoc>> = {
  R2_ACCOUNT_ID: { need: 'required', where: 'Cloudflare dashboard → R2 → Overview: *Account ID*' },
  R2_ACCESS_KEY_ID: {
    need: 'required',
    where: 'R2 → *Manage API tokens* → *Create API token*, permission *Object Read & Write* on the bucket: *Access Key ID*',
  },
  R2_SECRET_ACCESS_KEY: { need: 'required', where: 'the same token: *Secret Access Key* (shown once)' },
  R2_BUCKET_NAME: { need: 'required', where: 'R2 → *Create bucket*: its name' },
  SUPABASE_URL: { need: 'required', where: 'Supabase → *Project Settings* → *Data API*: *Project URL* (token issuer and JWKS)' },
  DATABASE_URL: {
    need: 'choose',
    where:
      'Supabase → *Connect* → *Session pooler* (port 5432, IPv4): migrations apply at start. The transaction pooler (port 6543) works too (prepared statements are then off); the direct connection needs outbound IPv6 (or Supabase’s IPv4 add-on)',
  },
  SUPABASE_SERVICE_ROLE_KEY: {
    need: 'choose',
    where:
      "Supabase → *Project Settings* → *API Keys*: *service_role*; only without `DATABASE_URL` (metadata through Supabase's API; apply the SQL first with `DATABASE_URL=… npm run migrate`)",
  },
  SUPABASE_JWT_SECRET: {
    need: 'optional',
    where: 'Supabase → *Project Settings* → *JWT Keys*: the legacy secret, only if the project still signs tokens with HS256',
  },
  CORS_ORIGINS: { need: 'optional', where: "your frontend's origins, e.g. `https://app.example.com` (browsers need it)" },
  API_KEYS: { need: 'optional', where: 'made by you, for training jobs and CI: see Authentication in docs/api.md' },
  RECONCILE_INTERVAL_MINUTES: { need: 'optional', where: 'e.g. `60`, unless the reconciler runs as a cron service (below)' },
};
