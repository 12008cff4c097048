/**
 * Files that lie about themselves, uploaded by an ordinary caller on both backends: Parquet whose
 * pages, footer and offsets claim what their bytes cannot hold, JSON lines nested deeper than any
 * answer can carry or with a new key on every line. Each must get a clear 4xx (or a profile that
 * says why there is none), never a 5xx, a stopped process, a blocked event loop or a process
 * grown past its bounds; the stored bytes stay exactly as uploaded.
 */
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AppError, isAppError } from '../src/errors.ts';
import { DistinctCount } from '../src/profiles/distinct-count.ts';
import { runParquetJob } from '../src/profiles/parquet-jobs.ts';
import { ParquetReading } from '../src/profiles/parquet-reading.ts';
import { TOO_DEEP } from '../src/profiles/preview-cells.ts';
import { JsonLinesProfiler } from '../src/profiles/text-profiler.ts';
import { type Backend, startApp, type TestApp } from './support/app.ts';
import { expectProblem } from './support/checks.ts';
import { bufferFile, digestResponse, sha256Of } from './support/data.ts';
import { hostileParquet } from './support/hostile-parquet.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const MiB = 1024 * 1024;

function memoryFile(bytes: Buffer) {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { byteLength: buffer.byteLength, slice: async (start: number, end?: number) => buffer.slice(start, end) };
}

/** A full collection, without --expose-gc on the command line. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('hostile files, checked where they are read', () => {
  test('the builder makes a valid file when it tells no lie', async () => {
    const result = await runParquetJob({ kind: 'preview', rows: 10 }, memoryFile(hostileParquet({ rows: 3 })));
    assert.deepEqual(result, { format: 'parquet', columns: ['x'], rows: [[0], [1], [2]], truncated: false });
  });

  test('a page claiming 2^31 values, or to inflate past what its bytes can, is refused before decoding', async () => {
    for (const lies of [{ pageValues: 2 ** 31 - 1 }, { pageUncompressed: 2 ** 31 - 1 }, { pageValues: 2 ** 24 }]) {
      await assert.rejects(runParquetJob({ kind: 'preview', rows: 3 }, memoryFile(hostileParquet(lies))), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'invalid_file', `${JSON.stringify(lies)}: ${error.message}`);
        return true;
      });
    }
  });

  test('offsets outside the file and pages that hold fewer rows than declared are refused, never read or padded', async () => {
    for (const lies of [{ chunkOffset: 10_000 }, { chunkLength: 10_000 }, { declaredRows: 50, rows: 3 }]) {
      await assert.rejects(runParquetJob({ kind: 'preview', rows: 50 }, memoryFile(hostileParquet(lies))), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'invalid_file', `${JSON.stringify(lies)}: ${error.message}`);
        return true;
      });
    }
  });

  test('on the reading thread, a storage outage stays an outage (503), and a lying file a 422', async (t) => {
    const reading = new ParquetReading({ threads: 1 });
    t.after(() => reading.close());
    const valid = hostileParquet({ rows: 3 });
    const tooMuch = () => new AppError('preview_too_large', 'too much');
    const outage = async () => {
      throw new AppError('storage_unavailable', 'Object storage could not read part of the object; try again shortly.');
    };
    await assert.rejects(reading.preview(valid.length, outage, 3, 1 << 20, tooMuch), (error: Error) => {
      assert.ok(isAppError(error, 'storage_unavailable'), `${error.message}`);
      return true;
    });
    const lying = hostileParquet({ chunkOffset: 10_000 });
    const read = async (start: number, end: number) => lying.subarray(start, end);
    await assert.rejects(reading.preview(lying.length, read, 3, 1 << 20, tooMuch), (error: Error) => {
      assert.ok(isAppError(error, 'invalid_file'), `${error.message}`);
      return true;
    });
    const { result } = await reading.preview(valid.length, async (start, end) => valid.subarray(start, end), 3, 1 << 20, tooMuch);
    assert.deepEqual((result as { rows: unknown[][] }).rows, [[0], [1], [2]], 'the thread goes on reading');
  });

  test('a small footer is profiled without a thread, a file that is no Parquet is refused without one; a large footer gets one', async (t) => {
    const reading = new ParquetReading({ threads: 1 });
    t.after(() => reading.close());
    const readOf = (bytes: Buffer) => async (start: number, end: number) => bytes.subarray(start, end);
    const small = hostileParquet({ rows: 3 });
    const profile = (await reading.profile(small.length, readOf(small), 10, 1 << 20)) as { rows: number; columnCount: number };
    assert.deepEqual([profile.rows, profile.columnCount], [3, 1]);
    const notParquet = Buffer.alloc(4096, 7);
    await assert.rejects(reading.profile(notParquet.length, readOf(notParquet), 10, 1 << 20), /PAR1/);
    assert.equal(reading.threadsRunning, 0, 'no thread for either');
    const large = hostileParquet({ footerEntries: 100_000 });
    const big = (await reading.profile(large.length, readOf(large), 10, 16 << 20)) as { rows: number };
    assert.equal(big.rows, 3);
    assert.equal(reading.threadsRunning, 1, 'a footer over 256 KiB is parsed on a thread');
  });

  test('distinct keys are counted exactly while few, then estimated in bounded memory', () => {
    const exact = new DistinctCount(1000);
    for (let index = 0; index < 3000; index += 1) exact.add(`key-${index % 700}`);
    assert.equal(exact.size, 700);
    assert.equal(exact.estimated, false);
    const many = new DistinctCount(1000);
    for (let index = 0; index < 200_000; index += 1) many.add(`key-${index}`);
    assert.equal(many.estimated, true);
    assert.ok(Math.abs(many.size - 200_000) / 200_000 < 0.05, `estimate ${many.size} of 200000`);
  });

  test('a JSON-lines file with a new key on every line: keys past PROFILE_MAX_COLUMNS are counted, not kept', () => {
    const lines = 200_000;
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const profiler = new JsonLinesProfiler(5);
    const batch: string[] = [];
    for (let index = 0; index < lines; index += 1) {
      batch.push(JSON.stringify({ id: index, [`never_repeated_key_${index}_${'x'.repeat(40)}`]: 1 }));
      if (batch.length === 1000) {
        profiler.write(Buffer.from(`${batch.join('\n')}\n`));
        batch.length = 0;
      }
    }
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - before;
    const profile = profiler.finish();
    assert.ok(retained < 8 * MiB, `the profiler retained ${(retained / MiB).toFixed(1)} MiB for ${lines} keys`);
    assert.equal(profile.rows, lines);
    assert.equal(profile.columns.length, 5);
    assert.ok(Math.abs(profile.columnCount - lines) / lines < 0.05, `columnCount ${profile.columnCount}`);
    assert.ok(profile.problems.some((problem) => problem.message.includes('columnCount is an estimate')));
  });
});

function hostileSuite(backend: Backend) {
  describe(`hostile files on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    before(async () => {
      app = await startApp({ backend });
      const created = await upload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'hostile' }]);
      assert.equal(created.status, 201);
    });
    after(() => app?.close());

    async function addFile(path: string, bytes: Buffer) {
      const response = await upload(`${app.baseUrl}/datasets/hostile/files`, [
        { name: 'file', filename: path, file: bufferFile(bytes) },
      ]);
      assert.equal(response.status, 201, await response.clone().text());
      const dataset = (await response.json()) as {
        files: Array<{ id: string; path: string; sha256: string; profile: { status: string; reason?: string } }>;
      };
      const file = dataset.files.find((entry) => entry.path === path);
      assert.ok(file);
      assert.equal(file.sha256, sha256Of(bytes), 'stored as uploaded');
      return file;
    }

    const preview = (fileId: string, rows = 50) => fetch(`${app.baseUrl}/datasets/hostile/files/${fileId}/preview?rows=${rows}`);

    async function stillServing(): Promise<void> {
      assert.equal((await fetch(`${app.baseUrl}/health`)).status, 200, 'the server still answers');
    }

    test('a few hundred bytes claiming 2^31 values: preview 422 invalid_file, and the server goes on', async () => {
      const bytes = hostileParquet({ pageValues: 2 ** 31 - 1 });
      assert.ok(bytes.length < 500);
      const file = await addFile('values.parquet', bytes);
      const problem = await expectProblem(await preview(file.id), 422, 'invalid_file');
      assert.match(String(problem.detail), /values/);
      await stillServing();
    });

    test('column chunks outside the file: 422 invalid_file, not a storage outage; short pages: 422, not made-up nulls', async () => {
      for (const [name, lies] of [
        ['outside.parquet', { chunkOffset: 5000 }],
        ['overlong.parquet', { chunkLength: 5000 }],
        ['short.parquet', { declaredRows: 40, rows: 3 }],
      ] as const) {
        const file = await addFile(name, hostileParquet(lies));
        const answer = await preview(file.id);
        assert.equal(answer.headers.get('retry-after'), null, 'not answered as an outage');
        await expectProblem(answer, 422, 'invalid_file');
      }
      assert.ok(!app.logs.some((line) => line.includes('storage_unavailable')), 'nothing logged as a storage outage');
      await stillServing();
    });

    test('a footer of millions of entries: the upload stands, the event loop never stalls, the profile says why it is missing', async () => {
      const bytes = hostileParquet({ footerEntries: 2_000_000 });
      assert.ok(bytes.length > 7.5 * MiB && bytes.length < 8 * MiB);
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const file = await addFile('footer.parquet', bytes);
      const answer = await preview(file.id);
      delay.disable();
      await expectProblem(answer, 422, 'invalid_file');
      assert.ok(delay.max < 400 * 1e6, `the event loop stalled for ${(delay.max / 1e6).toFixed(0)} ms`);
      assert.equal(file.profile.status, 'none');
      assert.match(String(file.profile.reason), /memory|footer/);
      const link = (await (await fetch(`${app.baseUrl}/datasets/hostile/files/${file.id}/download`)).json()) as { url: string };
      const stored = await digestResponse(await fetch(link.url.startsWith('/') ? `${app.baseUrl}${link.url}` : link.url));
      assert.equal(stored.sha256, sha256Of(bytes));
      await stillServing();
    });

    test('a footer longer than 8 MiB is refused unread', async () => {
      const entries = hostileParquet({ footerEntries: 2_200_000 });
      const file = await addFile('long-footer.parquet', entries);
      assert.match(String(file.profile.reason), /footer has \d+ bytes; at most 8388608/);
      await expectProblem(await preview(file.id), 422, 'invalid_file');
    });

    test('JSON lines nested deeper than an answer can carry: cells replaced and counted, deep lines skipped, never a 500', async () => {
      const deepCell = `{"id":1,"deep":${'['.repeat(100)}${']'.repeat(100)}}`;
      const deepLine = `{"id":2,"deeper":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
      const text = `${deepCell}\n${deepLine}\n{"id":3,"ok":[1,2]}\n`;
      const file = await addFile('deep.jsonl', Buffer.from(text));
      const started = Date.now();
      const answer = await preview(file.id);
      assert.equal(answer.status, 200, await answer.clone().text());
      const body = (await answer.json()) as {
        columns: string[];
        rows: unknown[][];
        truncatedCells?: number;
        skippedLines?: number;
      };
      assert.ok(Date.now() - started < 2000);
      assert.deepEqual(body.columns, ['id', 'deep', 'ok']);
      assert.deepEqual(body.rows, [
        [1, TOO_DEEP, null],
        [3, null, [1, 2]],
      ]);
      assert.equal(body.truncatedCells, 1);
      assert.equal(body.skippedLines, 1);
      await stillServing();
    });
  });
}

hostileSuite('embedded');
hostileSuite('s3-postgres');
