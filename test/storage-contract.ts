/**
 * The storage contract: every ObjectStorage adapter passes this same suite against a real
 * store (the filesystem, or s3rver over HTTP).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parse as parseDisposition } from 'content-disposition';
import { AppError } from '../src/errors.ts';
import type { ObjectStorage } from '../src/storage/port.ts';
import { bufferFile, digestResponse, patternFile } from './support/data.ts';

const MiB = 1024 * 1024;

export interface StorageFixture {
  storage: ObjectStorage;
  /** Origin used for links served by the API (filesystem); S3 ignores it. */
  baseUrl: string;
  close(): Promise<void>;
}

async function allKeys(storage: ObjectStorage, prefix: string, limit?: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, { ...(cursor ? { cursor } : {}), ...(limit ? { limit } : {}) });
    keys.push(...page.objects.map((object) => object.key));
    cursor = page.nextCursor;
  } while (cursor);
  return keys;
}

export function storageContract(name: string, setup: () => Promise<StorageFixture>): void {
  describe(`storage contract: ${name}`, () => {
    let fixture: StorageFixture;
    let run = 0;
    const prefix = () => `datasets/contract-${process.pid}-${run}/`;

    before(async () => {
      fixture = await setup();
      await fixture.storage.check();
    });
    after(() => fixture?.close());

    test('put, head and a download URL that returns the same bytes as an attachment', async () => {
      run += 1;
      const key = `${prefix()}raw/train data ü.csv`;
      const file = bufferFile('TransactionID,isFraud\n1,0\n2,1\n');
      const { etag } = await fixture.storage.put(key, file.stream(), { contentType: 'text/csv' });
      assert.ok(etag.length > 0);
      const head = await fixture.storage.head(key);
      assert.equal(head?.size, file.size);
      const url = await fixture.storage.downloadUrl(key, {
        expiresInSeconds: 60,
        filename: 'train data ü.csv',
        contentType: 'text/csv',
        baseUrl: fixture.baseUrl,
      });
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type')?.split(';')[0], 'text/csv');
      const disposition = parseDisposition(response.headers.get('content-disposition') ?? '');
      assert.equal(disposition.type, 'attachment');
      assert.equal(disposition.parameters.filename, 'train data ü.csv');
      assert.equal((await digestResponse(response)).sha256, file.sha256);

      const ranged = await fetch(url, { headers: { range: 'bytes=0-12' } });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), 'TransactionID');
    });

    test('streams 64 MiB of unknown length and serves it back intact', async () => {
      run += 1;
      const key = `${prefix()}big.parquet`;
      const file = patternFile(64 * MiB, 'contract-64');
      await fixture.storage.put(key, file.stream(), { contentType: 'application/vnd.apache.parquet' });
      assert.equal((await fixture.storage.head(key))?.size, 64 * MiB);
      const url = await fixture.storage.downloadUrl(key, {
        expiresInSeconds: 60,
        filename: 'big.parquet',
        contentType: 'application/vnd.apache.parquet',
        baseUrl: fixture.baseUrl,
      });
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.deepEqual(await digestResponse(response), { sha256: file.sha256, size: 64 * MiB });
      await fixture.storage.delete(key);
    });

    test('an expired download URL is refused', async () => {
      run += 1;
      const key = `${prefix()}expiring.csv`;
      await fixture.storage.put(key, bufferFile('a,b\n').stream(), { contentType: 'text/csv' });
      const url = await fixture.storage.downloadUrl(key, {
        expiresInSeconds: 1,
        filename: 'expiring.csv',
        contentType: 'text/csv',
        baseUrl: fixture.baseUrl,
      });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const response = await fetch(url);
      assert.equal(response.status, 403);
      await response.arrayBuffer();
    });

    test('aborting an upload leaves no object and no open multipart upload', async () => {
      run += 1;
      const key = `${prefix()}aborted.parquet`;
      const controller = new AbortController();
      const file = patternFile(40 * MiB, 'abort');
      let sent = 0;
      const body = Readable.from(
        (async function* () {
          for await (const chunk of file.chunks()) {
            sent += chunk.length;
            if (sent > 20 * MiB) controller.abort(new Error('client went away'));
            yield chunk;
          }
        })(),
      );
      await assert.rejects(
        fixture.storage.put(key, body, { contentType: 'application/octet-stream', signal: controller.signal }),
        /client went away/,
      );
      assert.equal(await fixture.storage.head(key), undefined);
      assert.deepEqual(await fixture.storage.listIncompleteUploads(prefix()), []);
    });

    test('a body that fails half-way leaves no object and no open multipart upload', async () => {
      run += 1;
      const key = `${prefix()}failed.parquet`;
      const file = patternFile(30 * MiB, 'fail');
      const body = Readable.from(
        (async function* () {
          let sent = 0;
          for await (const chunk of file.chunks()) {
            sent += chunk.length;
            if (sent > 12 * MiB) throw new AppError('file_too_large', 'too large');
            yield chunk;
          }
        })(),
      );
      await assert.rejects(fixture.storage.put(key, body, { contentType: 'application/octet-stream' }), (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.equal(error.code, 'file_too_large');
        return true;
      });
      assert.equal(await fixture.storage.head(key), undefined);
      assert.deepEqual(await fixture.storage.listIncompleteUploads(prefix()), []);
    });

    test('lists by prefix across pages, in key order, and deletes', async () => {
      run += 1;
      const keys = Array.from({ length: 7 }, (_, index) => `${prefix()}part-${index}/file.csv`);
      for (const key of keys) await fixture.storage.put(key, bufferFile(key).stream(), { contentType: 'text/csv' });
      await fixture.storage.put(`${prefix().slice(0, -1)}-other/x.csv`, bufferFile('x').stream(), { contentType: 'text/csv' });
      const first = await fixture.storage.list(prefix(), { limit: 3 });
      assert.equal(first.objects.length, 3);
      assert.ok(first.nextCursor, 'a first page of 3 out of 7 has a cursor');
      assert.deepEqual(await allKeys(fixture.storage, prefix(), 3), [...keys].sort());
      for (const key of keys) await fixture.storage.delete(key);
      assert.deepEqual(await allKeys(fixture.storage, prefix()), []);
      await fixture.storage.delete(keys[0] as string); // deleting twice is fine
      await fixture.storage.delete(`${prefix().slice(0, -1)}-other/x.csv`);
    });
  });
}
