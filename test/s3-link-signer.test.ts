/**
 * The direct link signer produces, byte for byte, the URL the SDK's getSignedUrl produces for
 * the same object, response headers, lifetime and instant: path-style and virtual-hosted, R2's
 * https endpoint and every local endpoint form (IPv4, IPv6, localhost, a bare host name, an
 * explicit default port), keys that need escaping; part URLs likewise, size and checksum signed. (That the S3 server
 * accepts these URLs, and refuses tampered ones, is tested through the API's downloads.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition } from '../src/storage/content-disposition.ts';
import { createS3Client } from '../src/storage/s3-client.ts';
import { type LinkSignerConfig, S3LinkSigner } from '../src/storage/s3-link-signer.ts';

const configs: Array<[string, LinkSignerConfig]> = [
  [
    'local, path style, port',
    {
      endpoint: 'http://127.0.0.1:4569',
      region: 'auto',
      bucket: 'xai-test',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'not-a-real-secret-1',
    },
  ],
  [
    'R2, virtual-hosted',
    {
      endpoint: 'https://0123456789abcdef.r2.cloudflarestorage.com',
      region: 'auto',
      bucket: 'xai-artifacts',
      forcePathStyle: false,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'not-a-real-secret-2',
    },
  ],
  [
    'AWS region, path style',
    {
      endpoint: 'https://s3.eu-central-1.amazonaws.com',
      region: 'eu-central-1',
      bucket: 'xai.dotted.bucket',
      forcePathStyle: true,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'not-a-real-secret-3',
    },
  ],
  ...(
    [
      ['IPv4 endpoint, no path style asked (MinIO, the test server)', 'http://127.0.0.1:9000', false],
      ['IPv6 endpoint', 'http://[::1]:9000', false],
      ['localhost', 'http://localhost:9000', false],
      ['localhost, path style', 'http://localhost:9000', true],
      ['a bare host name (a compose service)', 'http://minio:9000', false],
      ['a bare host name, path style', 'http://minio:9000', true],
      ['an explicit default port', 'http://minio:80', false],
      ['an IPv4 endpoint with a base path', 'http://10.0.0.5:9000/storage', false],
      ['AWS, virtual-hosted', 'https://s3.us-east-1.amazonaws.com', false],
    ] as const
  ).map(([label, endpoint, forcePathStyle]): [string, LinkSignerConfig] => [
    label,
    {
      endpoint,
      region: 'us-east-1',
      bucket: 'xai-artifacts',
      forcePathStyle,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'not-a-real-secret-4',
    },
  ]),
];

const keys = [
  'datasets/german-credit/0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11/raw/german_credit.csv',
  "models/fraud/xgboost/v12-0b5f5e0e/model (final) it's!*.json",
  'explanations/credit/ünïcödé/Ergebnis – SHAP.parquet',
  'datasets/a/b/with+plus&amp=eq?q#hash%pct.csv',
];

/** The SDK's client for `config`, as the S3 store builds it, and our signer over its SHA-256. */
function sdkAndSigner(config: LinkSignerConfig) {
  const client = createS3Client(config);
  return { client, signer: new S3LinkSigner(config, client.config.sha256) };
}

test('links are the SDK getSignedUrl URLs, byte for byte', async () => {
  const signingDate = new Date('2026-11-28T12:34:56Z');
  for (const [label, config] of configs) {
    const { client, signer } = sdkAndSigner(config);
    for (const key of keys) {
      const filename = key.slice(key.lastIndexOf('/') + 1);
      for (const expiresIn of [1, 900, 604800]) {
        const expected = await getSignedUrl(
          client,
          new GetObjectCommand({
            Bucket: config.bucket,
            Key: key,
            ResponseContentDisposition: attachmentDisposition(filename),
            ResponseContentType: 'text/csv',
          }),
          { expiresIn, signingDate },
        );
        const actual = await signer.sign(key, {
          expiresInSeconds: expiresIn,
          filename,
          contentType: 'text/csv',
          signingDate,
        });
        assert.equal(actual, expected, `${label}: ${key} (${expiresIn} s)`);
      }
    }
    client.destroy();
  }
});

test('IP-address endpoints are addressed by path, as the SDK does (no bucket.127.0.0.1 host)', async () => {
  const signer = new S3LinkSigner(
    {
      endpoint: 'http://127.0.0.1:9000',
      region: 'auto',
      bucket: 'xai-artifacts',
      forcePathStyle: false,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'not-a-real-secret-5',
    },
    new S3Client({ region: 'auto' }).config.sha256,
  );
  const url = new URL(
    await signer.sign('datasets/a/b.csv', { expiresInSeconds: 60, filename: 'b.csv', contentType: 'text/csv' }),
  );
  assert.equal(url.host, '127.0.0.1:9000');
  assert.equal(url.pathname, '/xai-artifacts/datasets/a/b.csv');
});

test('part URLs are the SDK UploadPart URLs with Content-Length signed, byte for byte', async () => {
  const signingDate = new Date('2026-11-28T12:34:56Z');
  for (const [label, config] of configs) {
    const { client, signer } = sdkAndSigner(config);
    for (const key of keys) {
      for (const sha256Base64 of [undefined, 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=']) {
        const part = { uploadId: 'upload/with+odd=chars', partNumber: 7, size: 5 * 1024 * 1024 };
        const expected = await getSignedUrl(
          client,
          new UploadPartCommand({
            Bucket: config.bucket,
            Key: key,
            UploadId: part.uploadId,
            PartNumber: part.partNumber,
            ContentLength: part.size,
            ...(sha256Base64 ? { ChecksumSHA256: sha256Base64 } : {}),
          }),
          { expiresIn: 900, signingDate, unhoistableHeaders: new Set(sha256Base64 ? ['x-amz-checksum-sha256'] : []) },
        );
        const actual = await signer.signPart(key, { ...part, sha256Base64 }, { expiresInSeconds: 900, signingDate });
        assert.equal(actual.url, expected, `${label}: ${key}`);
        const signedHeaders = new URL(actual.url).searchParams.get('X-Amz-SignedHeaders') ?? '';
        assert.ok(signedHeaders.split(';').includes('content-length'), `${label}: content-length is signed`);
        assert.deepEqual(actual.headers, sha256Base64 ? { 'x-amz-checksum-sha256': sha256Base64 } : {});
      }
    }
    client.destroy();
  }
});
