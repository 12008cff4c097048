/**
 * Upload resource limits: the part-buffer budget bounds every S3 upload together, uploads past
 * its buffers wait for their turn before reading a byte, concurrent uploads are capped per
 * caller (429) and in total (503), and a stalled body is aborted (408).
 * Each refusal leaves storage and metadata exactly as before.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import type { S3Storage } from '../src/storage/s3-storage.ts';
import { build, type TestApp } from './support/app.ts';
import { eventually, snapshot } from './support/checks.ts';
import { digestResponse, patternFile, type TestFile } from './support/data.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const MiB = 1024 * 1024;

/** A file that sends `head` bytes, then waits for `release()` before sending the rest. */
function gatedFile(size: number, head: number): TestFile & { release(): void } {
  const bytes = Buffer.alloc(size, 0x62);
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    async *chunks() {
      yield bytes.subarray(0, head);
      await gate;
      yield bytes.subarray(head);
    },
    stream() {
      throw new Error('not used');
    },
    release: () => release(),
  };
}

/** An app on S3 + Postgres with 5 MiB part buffers, the smallest S3 takes. */
const onS3WithSmallParts = (t: TestContext, env: Record<string, string>) =>
  build(t, { backend: 's3-postgres', env: { UPLOAD_PART_SIZE_BYTES: String(5 * MiB), ...env } });

const createWith = (app: TestApp, name: string, file: TestFile) =>
  upload(`${app.baseUrl}/datasets`, [
    { name: 'name', value: name },
    { name: 'file', filename: 'data.csv', file },
  ]);

/** A file that sends `head` bytes, then `ticks` pieces of 32 KiB every `everyMs`, then the rest. */
function tricklingFile(size: number, head: number, ticks: number, everyMs: number): TestFile {
  const bytes = Buffer.alloc(size, 0x74);
  return {
    size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    async *chunks() {
      yield bytes.subarray(0, head);
      let offset = head;
      for (let tick = 0; tick < ticks; tick += 1, offset += 32 * 1024) {
        await new Promise((resolve) => setTimeout(resolve, everyMs));
        yield bytes.subarray(offset, offset + 32 * 1024);
      }
      yield bytes.subarray(offset);
    },
    stream() {
      throw new Error('not used');
    },
  };
}

/** The dataset was created (201) and its stored file, read back through its download link, is `file`. */
async function expectStored(app: TestApp, name: string, response: Response, file: TestFile): Promise<void> {
  assert.equal(response.status, 201, await response.clone().text());
  const dataset = (await response.json()) as { files: Array<{ id: string; sha256: string }> };
  assert.equal(dataset.files[0]?.sha256, file.sha256);
  const link = (await (await fetch(`${app.baseUrl}/datasets/${name}/files/${dataset.files[0]?.id}/download`)).json()) as {
    url: string;
  };
  assert.deepEqual(await digestResponse(await fetch(link.url)), { sha256: file.sha256, size: file.size });
}

describe('upload limits', () => {
  test('eight concurrent 12 MiB uploads share a budget of two 5 MiB part buffers; every byte arrives', {
    skip: postgresSkipReason,
  }, async (t) => {
    const app = await onS3WithSmallParts(t, {
      UPLOAD_QUEUE_SIZE: '4',
      // Two 5 MiB buffers, each with 1 MiB for the reads that fill it.
      UPLOAD_MEMORY_BUDGET_BYTES: String(12 * MiB),
      // No profiling thread, whose reservation would take this whole small budget (one buffer left).
      PROFILE_MAX_COLUMNS: '0',
    });
    const files = Array.from({ length: 8 }, (_, index) => patternFile(12 * MiB, `budget-${index}`));
    const responses = await Promise.all(files.map((file, index) => createWith(app, `budget-${index}`, file)));
    for (const [index, response] of responses.entries()) {
      await expectStored(app, `budget-${index}`, response, files[index] as TestFile);
    }
    const stats = (app.services.storage as S3Storage).partBuffers.stats;
    assert.ok(stats.allocated <= 2, `at most two part buffers ever existed, not ${stats.allocated}`);
    assert.equal(stats.peakInUse, 2, 'the uploads did contend for the two buffers');
    assert.equal(stats.inUse, 0, 'every buffer was given back');
    assert.equal(await app.incompleteUploads(), 0);
  });

  test('past the part buffers, uploads wait for their turn unread (not stalled), small forms do not wait, and all arrive', {
    skip: postgresSkipReason,
  }, async (t) => {
    const app = await onS3WithSmallParts(t, {
      UPLOAD_MEMORY_BUDGET_BYTES: String(5 * MiB),
      UPLOAD_IDLE_TIMEOUT_SECONDS: '1',
    });
    const storage = app.services.storage as S3Storage;
    // The first upload holds the only turn for ~3 s, making progress all along.
    const first = tricklingFile(6 * MiB, 64 * 1024, 20, 150);
    const firstDone = createWith(app, 'first', first);
    await eventually(async () => assert.deepEqual(app.services.uploads.turns, { reading: 1, waiting: 0 }));
    const second = patternFile(12 * MiB, 'second');
    const secondDone = createWith(app, 'second', second);
    const gone = new AbortController();
    const abandoned = upload(
      `${app.baseUrl}/datasets`,
      [
        { name: 'name', value: 'abandoned' },
        { name: 'file', filename: 'data.csv', file: patternFile(8 * MiB, 'abandoned') },
      ],
      { signal: gone.signal },
    ).catch((error: unknown) => error);
    await eventually(async () => assert.deepEqual(app.services.uploads.turns, { reading: 1, waiting: 2 }));
    // Waiting, they read nothing: no part of them waits on the part buffers.
    assert.equal(storage.partBuffers.stats.waiting, 0);
    // A form with fields only, of a known length that fits one read (as browsers and curl send
    // it), does not queue behind the uploads.
    const fields = new FormData();
    fields.append('name', 'fields-only');
    const small = await fetch(`${app.baseUrl}/datasets`, { method: 'POST', body: fields });
    assert.equal(small.status, 201, await small.clone().text());
    assert.deepEqual(app.services.uploads.turns, { reading: 1, waiting: 2 }, 'the uploads were still waiting');
    gone.abort();
    await abandoned;
    await eventually(async () => assert.deepEqual(app.services.uploads.turns, { reading: 1, waiting: 1 }));
    // The wait (past the 1 s idle timeout) is not a stall: both arrive whole.
    await expectStored(app, 'first', await firstDone, first);
    await expectStored(app, 'second', await secondDone, second);
    assert.deepEqual(app.services.uploads.turns, { reading: 0, waiting: 0 });
    assert.equal(storage.partBuffers.stats.allocated, 1);
    await eventually(async () => assert.equal((await app.rowCounts()).datasets, 3, 'first, second, fields-only; not abandoned'));
    assert.equal(await app.incompleteUploads(), 0);
  });

  test('a caller past its concurrent uploads gets 429 too_many_uploads with Retry-After; nothing is kept of it', async (t) => {
    const app = await build(t, { backend: 'embedded', env: { UPLOAD_CONCURRENCY_PER_CALLER: '2' } });
    const slow = [gatedFile(MiB, 1024), gatedFile(MiB, 1024)];
    const running = slow.map((file, index) => createWith(app, `slow-${index}`, file));
    await eventually(async () => assert.equal(app.services.uploads.size, 2));
    // Both admitted uploads are writing (their temp files exist) before the snapshot: else, on a
    // busy machine, the second one's file could appear after it and look like the refused one's.
    await eventually(async () => assert.equal(await app.incompleteUploads(), 2));
    const before = await snapshot(app);
    const refused = await createWith(app, 'third', patternFile(MiB, 'third'));
    assert.equal(refused.status, 429);
    assert.equal(((await refused.json()) as { code: string }).code, 'too_many_uploads');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.deepEqual(await snapshot(app), before);
    for (const file of slow) file.release();
    for (const response of await Promise.all(running)) assert.equal(response.status, 201);
    const after = await createWith(app, 'third', patternFile(MiB, 'third'));
    assert.equal(after.status, 201, 'admitted once the others finished');
  });

  test('past the total of concurrent uploads the answer is 503 server_busy with Retry-After', async (t) => {
    const app = await build(t, { backend: 'embedded', env: { UPLOAD_CONCURRENCY: '1' } });
    const slow = gatedFile(MiB, 1024);
    const running = createWith(app, 'slow', slow);
    await eventually(async () => assert.equal(app.services.uploads.size, 1));
    const refused = await createWith(app, 'second', patternFile(MiB, 'second'));
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { code: string }).code, 'server_busy');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    slow.release();
    assert.equal((await running).status, 201);
    assert.equal((await app.rowCounts()).datasets, 1);
    // Embedded storage bounds no turns, and counts them all the same.
    assert.deepEqual(app.services.uploads.turns, { reading: 0, waiting: 0 });
  });

  for (const backend of ['embedded', 's3-postgres'] as const) {
    test(`a body that stalls is aborted: 408 upload_stalled, nothing kept (${backend})`, {
      skip: backend === 's3-postgres' ? postgresSkipReason : undefined,
    }, async (t) => {
      const app = await build(t, { backend, env: { UPLOAD_IDLE_TIMEOUT_SECONDS: '1' } });
      const before = await snapshot(app);
      const stalled = gatedFile(MiB, 4096);
      t.after(() => stalled.release());
      const started = Date.now();
      const response = await createWith(app, 'stalled', stalled);
      assert.equal(response.status, 408);
      assert.equal(((await response.json()) as { code: string }).code, 'upload_stalled');
      assert.ok(Date.now() - started < 10_000, 'aborted within a few windows');
      await eventually(async () => assert.deepEqual(await snapshot(app), before));
      assert.equal(app.services.uploads.size, 0);
    });
  }
});
