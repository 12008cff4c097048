import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { S3Storage } from '../src/storage/s3-storage.ts';
import { storageContract } from './storage-contract.ts';
import { startS3Server } from './support/s3-server.ts';

storageContract('s3 (s3rver over HTTP)', async () => {
  const server = await startS3Server();
  const storage = new S3Storage(server.config);
  return {
    storage,
    baseUrl: 'http://unused.invalid',
    async close() {
      await storage.close();
      await server.close();
    },
  };
});

/** An S3 server on loopback and the adapter over it, both stopped when the test ends. */
async function s3Storage(t: TestContext) {
  const server = await startS3Server();
  const storage = new S3Storage(server.config);
  t.after(async () => {
    await storage.close();
    await server.close();
  });
  return { server, storage };
}

test('the S3 server checks V4 signatures: tampered, re-targeted and other-key links are refused', async (t) => {
  const { server, storage } = await s3Storage(t);
  await storage.check(); // HeadBucket, signed on `/bucket/`
  for (const key of ['checks/a.csv', 'checks/b.csv']) {
    await storage.put(key, Readable.from([Buffer.from(`bytes of ${key}`)]), { contentType: 'text/csv' });
  }
  const options = { expiresInSeconds: 60, filename: "it's (final).csv", contentType: 'text/csv' };
  const url = await storage.downloadUrl('checks/a.csv', options);
  const good = await fetch(url);
  assert.equal(good.status, 200);
  assert.equal(await good.text(), 'bytes of checks/a.csv');

  const tampered = url.replace(
    /X-Amz-Signature=([0-9a-f])/,
    (_all, first: string) => `X-Amz-Signature=${first === '0' ? '1' : '0'}`,
  );
  const otherKey = new S3Storage({ ...server.config, secretAccessKey: 'a-different-secret-for-the-same-id' });
  t.after(() => otherKey.close());
  for (const [label, candidate] of [
    ['tampered signature', tampered],
    ['signed for a.csv, used for b.csv', url.replace('checks/a.csv', 'checks/b.csv')],
    ['longer lifetime than signed', url.replace('X-Amz-Expires=60', 'X-Amz-Expires=600')],
    ['signed with another secret', await otherKey.downloadUrl('checks/a.csv', options)],
  ] as const) {
    const response = await fetch(candidate);
    assert.equal(response.status, 403, label);
    assert.match(await response.text(), /SignatureDoesNotMatch/, label);
  }
});
