/**
 * The direct link signer produces, byte for byte, the URL the SDK's getSignedUrl produces for
 * the same object, response headers, lifetime and instant: path-style and virtual-hosted, R2's
 * https endpoint and a local one with a port, keys that need escaping. (That the S3 server
 * accepts these URLs, and refuses tampered ones, is tested through the API's downloads.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition } from '../src/storage/content-disposition.ts';
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
];

const keys = [
  'datasets/german-credit/0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11/raw/german_credit.csv',
  "models/fraud/xgboost/v12-0b5f5e0e/model (final) it's!*.json",
  'explanations/credit/ünïcödé/Ergebnis – SHAP.parquet',
  'datasets/a/b/with+plus&amp=eq?q#hash%pct.csv',
];

test('links are the SDK getSignedUrl URLs, byte for byte', async () => {
  const signingDate = new Date('2026-11-28T12:34:56Z');
  for (const [label, config] of configs) {
    const client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const signer = new S3LinkSigner(config, client.config.sha256);
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
