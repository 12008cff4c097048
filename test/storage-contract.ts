/**
 * The storage contract: every ObjectStorage adapter passes this same suite against a real
 * store (the filesystem, or s3rver over HTTP).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { parse as parseDisposition } from 'content-disposition';
import { AppError } from '../src/errors.ts';
import type { ObjectStorage } from '../src/storage/port.ts';
import { bufferFile, digestResponse, patternFile } from './support/data.ts';

const MiB = 1024 * 1024;

export interface StorageFixture {
  storage: ObjectStorage;
  /** Origin of the API that serves the filesystem adapter's relative links; S3 links are absolute. */
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

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return Buffer.concat(all);
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
    // As the HTTP layer does: a relative link is on the API's origin, an absolute one is the store's.
    const linkOf = (url: string) => (url.startsWith('/') ? `${fixture.baseUrl}${url}` : url);
    /** A download link to `key` as `filename`, fetchable from here. */
    const linkTo = async (key: string, filename: string, contentType: string, expiresInSeconds = 60) =>
      linkOf(await fixture.storage.downloadUrl(key, { expiresInSeconds, filename, contentType }));

    test('put, head and a download URL that returns the same bytes as an attachment', async () => {
      run += 1;
      const key = `${prefix()}raw/train data ü.csv`;
      const file = bufferFile('TransactionID,isFraud\n1,0\n2,1\n');
      const { etag } = await fixture.storage.put(key, file.stream(), { contentType: 'text/csv' });
      assert.ok(etag.length > 0);
      const head = await fixture.storage.head(key);
      assert.equal(head?.size, file.size);
      const url = await linkTo(key, 'train data ü.csv', 'text/csv');
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
      const url = await linkTo(key, 'big.parquet', 'application/vnd.apache.parquet');
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.deepEqual(await digestResponse(response), { sha256: file.sha256, size: 64 * MiB });
      await fixture.storage.delete(key);
    });

    test('an expired download URL is refused', async () => {
      run += 1;
      const key = `${prefix()}expiring.csv`;
      await fixture.storage.put(key, bufferFile('a,b\n').stream(), { contentType: 'text/csv' });
      const url = await linkTo(key, 'expiring.csv', 'text/csv', 1);
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

    test('direct multipart: signed part URLs, parts listed by the store, assembled in order, read back; abort leaves nothing', async () => {
      run += 1;
      const key = `${prefix()}raw/direct.csv`;
      const content = patternFile(11 * MiB);
      const whole = await collect(content.chunks());
      const partSize = 5 * MiB;
      const parts = [whole.subarray(0, partSize), whole.subarray(partSize, 2 * partSize), whole.subarray(2 * partSize)];
      const { uploadId } = await fixture.storage.startMultipart(key, 'text/csv');
      assert.deepEqual(await fixture.storage.listParts(key, uploadId), []);
      // Sent out of order, one of them twice: the store keeps the last of each number.
      for (const partNumber of [3, 1, 2, 1]) {
        const body = parts[partNumber - 1] as Buffer<ArrayBuffer>;
        const signed = await fixture.storage.signPartUpload(key, uploadId, partNumber, {
          expiresInSeconds: 60,
          maxBytes: body.length,
          owner: 'contract-test',
        });
        assert.ok(signed.expiresAt.getTime() > Date.now());
        const response = await fetch(linkOf(signed.url), { method: 'PUT', body, headers: signed.headers });
        assert.equal(response.status, 200, await response.text());
        assert.ok(response.headers.get('etag'), 'the ETag a browser reads to complete');
      }
      const listed = await fixture.storage.listParts(key, uploadId);
      assert.deepEqual(
        listed?.map(({ partNumber, size }) => ({ partNumber, size })),
        [
          { partNumber: 1, size: partSize },
          { partNumber: 2, size: partSize },
          { partNumber: 3, size: whole.length - 2 * partSize },
        ],
      );
      assert.equal(await fixture.storage.head(key), undefined, 'no object before complete');
      const { etag } = await fixture.storage.completeMultipart(key, uploadId, listed ?? []);
      assert.ok(etag.length > 0);
      assert.equal(await fixture.storage.listParts(key, uploadId), undefined, 'the upload is gone once complete');
      const { body } = await fixture.storage.read(key);
      const read = await collect(body as AsyncIterable<Buffer>);
      assert.ok(read.equals(whole));

      const aborted = await fixture.storage.startMultipart(`${prefix()}raw/aborted.csv`, 'text/csv');
      const signed = await fixture.storage.signPartUpload(`${prefix()}raw/aborted.csv`, aborted.uploadId, 1, {
        expiresInSeconds: 60,
        maxBytes: partSize,
        owner: 'contract-test',
      });
      assert.equal((await fetch(linkOf(signed.url), { method: 'PUT', body: parts[0] as Buffer<ArrayBuffer> })).status, 200);
      await fixture.storage.abortIncompleteUpload({
        key: `${prefix()}raw/aborted.csv`,
        uploadId: aborted.uploadId,
        initiated: new Date(),
      });
      assert.equal(await fixture.storage.listParts(`${prefix()}raw/aborted.csv`, aborted.uploadId), undefined);
      assert.deepEqual(
        (await fixture.storage.listIncompleteUploads(prefix())).map((upload) => upload.uploadId),
        [],
        'no open multipart upload left',
      );
      await fixture.storage.delete(key);
    });

    test('a part URL takes exactly its signed size: a larger body is refused and nothing is kept', async () => {
      run += 1;
      const key = `${prefix()}raw/bound.csv`;
      const { uploadId } = await fixture.storage.startMultipart(key, 'text/csv');
      const signed = await fixture.storage.signPartUpload(key, uploadId, 1, {
        expiresInSeconds: 60,
        maxBytes: 10,
        owner: 'contract-test',
      });
      for (const size of [11, 2 * MiB]) {
        const response = await fetch(linkOf(signed.url), {
          method: 'PUT',
          body: Buffer.alloc(size, 7) as Buffer<ArrayBuffer>,
          headers: signed.headers,
        });
        assert.ok(response.status >= 400 && response.status < 500, `a ${size}-byte body for a 10-byte part: ${response.status}`);
        await response.arrayBuffer();
      }
      assert.deepEqual(await fixture.storage.listParts(key, uploadId), [], 'no part kept');
      const exact = await fetch(linkOf(signed.url), { method: 'PUT', body: Buffer.alloc(10, 7) as Buffer<ArrayBuffer> });
      assert.equal(exact.status, 200);
      assert.deepEqual(
        (await fixture.storage.listParts(key, uploadId))?.map((part) => part.size),
        [10],
      );
      await fixture.storage.abortIncompleteUpload({ key, uploadId, initiated: new Date() });
    });

    test('put with releaseChunks frees each chunk once stored; without it the caller keeps its buffers', async () => {
      run += 1;
      // 256 chunks of 48 KiB (12 MiB), each the whole of its own ArrayBuffer, as socket reads are.
      const chunksOf = (seed: number) => Array.from({ length: 256 }, (_, index) => Buffer.alloc(48 * 1024, (seed + index) % 251));
      const digest = (chunks: readonly Buffer[]) => {
        const hash = createHash('sha256');
        for (const chunk of chunks) hash.update(chunk);
        return hash.digest('hex');
      };
      const stored = async (key: string) => {
        const { body } = await fixture.storage.read(key);
        const hash = createHash('sha256');
        for await (const chunk of body) hash.update(chunk as Buffer);
        return hash.digest('hex');
      };
      const released = chunksOf(1);
      const expected = digest(released);
      await fixture.storage.put(`${prefix()}release/yes.bin`, Readable.from(released), {
        contentType: 'application/octet-stream',
        releaseChunks: true,
      });
      assert.equal(await stored(`${prefix()}release/yes.bin`), expected, 'every byte arrived');
      assert.ok(
        released.every((chunk) => chunk.length === 0),
        'every chunk was released',
      );
      const kept = chunksOf(2);
      const keptDigest = digest(kept);
      await fixture.storage.put(`${prefix()}release/no.bin`, Readable.from(kept), { contentType: 'application/octet-stream' });
      assert.equal(await stored(`${prefix()}release/no.bin`), keptDigest);
      assert.equal(digest(kept), keptDigest, "the caller's chunks are untouched");
      await fixture.storage.delete(`${prefix()}release/yes.bin`);
      await fixture.storage.delete(`${prefix()}release/no.bin`);
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

    test('a listing while other folders are being deleted still holds every key that stays', async () => {
      run += 1;
      const kept = `${prefix()}kept/file.csv`;
      await fixture.storage.put(kept, bufferFile('kept').stream(), { contentType: 'text/csv' });
      for (let round = 0; round < 5; round += 1) {
        const doomed = Array.from({ length: 20 }, (_, index) => `${prefix()}doomed-${round}/${index}/file.csv`);
        for (const key of doomed) await fixture.storage.put(key, bufferFile(key).stream(), { contentType: 'text/csv' });
        // The deletes remove the emptied folders while the listing walks them.
        const [listed] = await Promise.all([
          allKeys(fixture.storage, prefix()),
          Promise.all(doomed.map((key) => fixture.storage.delete(key))),
        ]);
        assert.ok(listed.includes(kept), `round ${round}: the kept key is listed`);
      }
      await fixture.storage.delete(kept);
    });
  });
}
