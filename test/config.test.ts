import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, describeBackends, loadConfig } from '../src/config.ts';

const r2 = {
  R2_ACCOUNT_ID: 'abc123',
  R2_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  R2_SECRET_ACCESS_KEY: 'super-secret-value-123',
  R2_BUCKET_NAME: 'xai-artifacts',
};

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('no environment at all: the embedded default on 127.0.0.1:3000', () => {
  const config = loadConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 3000);
  assert.equal(config.storage.kind, 'filesystem');
  assert.equal(config.metadata.kind, 'pglite');
  assert.equal(config.limits.datasetFileBytes, 5 * 1024 ** 3);
  assert.equal(config.limits.fieldBytes, 1024 * 1024);
  assert.equal(config.downloads.defaultTtlSeconds, 900);
});

test('R2 settings choose S3 storage; the endpoint derives from the account id', () => {
  const config = loadConfig(r2);
  assert.equal(config.storage.kind, 's3');
  assert.ok(config.storage.kind === 's3');
  assert.equal(config.storage.endpoint, 'https://abc123.r2.cloudflarestorage.com');
  assert.equal(config.storage.region, 'auto');
  assert.equal(config.storage.partSize, 8 * 1024 * 1024);
  assert.doesNotMatch(JSON.stringify(describeBackends(config)), /super-secret/);
});

test('an explicit endpoint (MinIO, S3) wins over the account id', () => {
  const config = loadConfig({ ...r2, R2_ACCOUNT_ID: '', R2_ENDPOINT_URL: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' });
  assert.ok(config.storage.kind === 's3');
  assert.equal(config.storage.endpoint, 'http://127.0.0.1:9000');
  assert.equal(config.storage.forcePathStyle, true);
});

test('metadata: DATABASE_URL, else Supabase, else PGlite', () => {
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x' }).metadata.kind, 'postgres');
  assert.equal(loadConfig({ SUPABASE_URL: 'https://p.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'k' }).metadata.kind, 'supabase');
  const both = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/x', SUPABASE_URL: 'https://p.supabase.co' });
  assert.equal(both.metadata.kind, 'postgres');
  assert.doesNotMatch(JSON.stringify(describeBackends(both)), /u:p@/);
});

test('prepared statements: on, but off on Supabase’s transaction pooler (6543) unless set', () => {
  const prepared = (env: Record<string, string>) => {
    const { metadata } = loadConfig(env);
    assert.equal(metadata.kind, 'postgres');
    return metadata.kind === 'postgres' && metadata.preparedStatements;
  };
  const session = 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres';
  const transaction = 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres';
  assert.equal(prepared({ DATABASE_URL: session }), true);
  assert.equal(prepared({ DATABASE_URL: 'postgres://u:p@db/x' }), true);
  assert.equal(prepared({ DATABASE_URL: transaction }), false);
  assert.equal(prepared({ DATABASE_URL: transaction, DATABASE_PREPARED_STATEMENTS: 'true' }), true);
  assert.equal(prepared({ DATABASE_URL: session, DATABASE_PREPARED_STATEMENTS: 'false' }), false);
  assert.match(configError({ DATABASE_URL: session, DATABASE_PREPARED_STATEMENTS: 'sometimes' }), /DATABASE_PREPARED_STATEMENTS/);
});

test('bad values name the variable and never echo the value', () => {
  assert.match(configError({ R2_ENDPOINT_URL: 'not-a-url' }), /R2_ENDPOINT_URL/);
  assert.match(configError({ PORT: 'eighty' }), /PORT/);
  assert.match(configError({ UPLOAD_PART_SIZE_BYTES: '1024' }), /UPLOAD_PART_SIZE_BYTES: must be at least 5 MiB/);
  assert.match(configError({ DATABASE_URL: 'mysql://secret-password@x' }), /DATABASE_URL/);
  assert.doesNotMatch(configError({ DATABASE_URL: 'mysql://secret-password@x' }), /secret-password/);
  assert.match(configError({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
});

test('half of the R2 settings is an error listing what is missing', () => {
  const message = configError({ R2_ACCESS_KEY_ID: 'AKID', R2_SECRET_ACCESS_KEY: 'super-secret-value-123' });
  assert.match(message, /R2 storage is partly configured/);
  assert.match(message, /R2_BUCKET_NAME/);
  assert.match(message, /R2_ACCOUNT_ID or R2_ENDPOINT_URL/);
  assert.doesNotMatch(message, /super-secret/);
});

test('Supabase settings without a way to reach the database are an error', () => {
  assert.match(configError({ SUPABASE_URL: 'https://p.supabase.co' }), /SUPABASE_URL is set but/);
  assert.match(configError({ SUPABASE_SERVICE_ROLE_KEY: 'k' }), /without SUPABASE_URL/);
});

test('sizes take bytes or a unit; a bad size or bucket name says what is expected', () => {
  const sized = loadConfig({
    MAX_DATASET_FILE_BYTES: '5GiB',
    MAX_MODEL_FILE_BYTES: '500MB',
    MAX_EXPLANATION_FILE_BYTES: '1073741824',
    MAX_FIELD_BYTES: '64 KiB',
    UPLOAD_MEMORY_BUDGET_BYTES: '1.5GiB',
  });
  assert.equal(sized.limits.datasetFileBytes, 5 * 1024 ** 3);
  assert.equal(sized.limits.modelFileBytes, 500_000_000);
  assert.equal(sized.limits.explanationFileBytes, 1024 ** 3);
  assert.equal(sized.limits.fieldBytes, 64 * 1024);
  assert.equal(sized.storage.kind, 'filesystem');
  const badSize = configError({ MAX_DATASET_FILE_BYTES: '5 gigs' });
  assert.match(badSize, /MAX_DATASET_FILE_BYTES/);
  assert.match(badSize, /5GiB, 500MB/);
  const badBucket = configError({ ...r2, R2_BUCKET_NAME: 'My_Bucket' });
  assert.match(badBucket, /R2_BUCKET_NAME/);
  assert.match(badBucket, /3-63 lowercase letters, digits, hyphens/);
});
