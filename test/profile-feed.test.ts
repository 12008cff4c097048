/**
 * When the profiler falls behind an upload it skips ahead instead of slowing it
 * (src/profiles/profile-feed.ts). These tests drive the feed chunk by chunk with the copy budget
 * full or not, in process, and check what the profiler would see: whole records only, each with
 * its true line number, and every record either profiled or counted as skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { CsvScanner } from '../src/profiles/csv-scanner.ts';
import { ProfileFeed } from '../src/profiles/profile-feed.ts';
import { ProfilingThread, THREAD_RESERVE_BYTES } from '../src/profiles/profile-thread.ts';
import { RecordCounter } from '../src/profiles/record-counter.ts';
import { DelimitedProfiler, JsonLinesProfiler } from '../src/profiles/text-profiler.ts';
import { PartBufferPool } from '../src/storage/part-buffer-pool.ts';
import { MemoryBudget } from '../src/uploads/memory-budget.ts';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const PIECES = ['a', 'bc', '', '1.5', '"q""uote"', '"com,ma"', '"new\nline"', '"two\n\nlines"', '"cr\r\nlf"', 'é', '""'];

function quotedCsv(next: () => number, rows: number, lineEnd: string): string {
  const lines = ['id,x,y,z'];
  for (let row = 0; row < rows; row += 1) {
    const fields = [String(row)];
    for (let index = 0; index < 3; index += 1) fields.push(PIECES[Math.floor(next() * PIECES.length)] as string);
    lines.push(fields.join(','));
  }
  return lines.join(lineEnd) + (next() < 0.5 ? lineEnd : '');
}

function chunksOf(bytes: Buffer, next: () => number, largest: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const size = 1 + Math.floor(next() * largest);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

/** Records by the line they start on, as the scanner reads the whole file. */
function recordsByLine(text: string): Map<number, string[]> {
  const byLine = new Map<number, string[]>();
  const scanner = new CsvScanner(',', { record: (fields, line) => byLine.set(line, fields), problem: () => {} });
  scanner.write(text);
  scanner.end();
  return byLine;
}

test('the record counter counts records as csv-parse parses them, and every line feed, whatever the chunking', () => {
  const next = random(5);
  for (let file = 0; file < 60; file += 1) {
    const text = quotedCsv(next, 40, file % 3 ? '\r\n' : '\n');
    const bytes = Buffer.from(text);
    const expected = parse(text, { record_delimiter: ['\r\n', '\n'], relax_column_count: true }) as string[][];
    const counter = new RecordCounter('csv');
    let records = 0;
    let lines = 0;
    for (const chunk of chunksOf(bytes, next, 9)) {
      const counted = counter.count(chunk);
      records += counted.records;
      lines += counted.lines;
    }
    assert.equal(records + (counter.open ? 1 : 0), expected.length, `file ${file}: ${JSON.stringify(text)}`);
    assert.equal(lines, text.split('\n').length - 1);
  }
});

test('a profiler that falls behind resumes at a record start with the right line, and every row is counted', () => {
  const next = random(9);
  for (let file = 0; file < 60; file += 1) {
    const text = quotedCsv(next, 120, file % 2 ? '\r\n' : '\n');
    const whole = recordsByLine(text);
    const feed = new ProfileFeed('csv', 64);
    const seen: Array<{ line: number; fields: string[] }> = [];
    const scanner = new CsvScanner(',', { record: (fields, line) => seen.push({ line, fields }), problem: () => {} });
    const decoder = () => new TextDecoder('utf-8');
    let decode = decoder();
    let skips = 0;
    for (const chunk of chunksOf(Buffer.from(text), next, 40)) {
      const step = feed.next(chunk, next() < 0.5);
      if (step.skipLines !== undefined) {
        skips += 1;
        scanner.restart(step.skipLines);
        decode = decoder();
      }
      if (step.send) scanner.write(decode.decode(step.send, { stream: true }));
    }
    const { skippedRecords, dropPartial } = feed.end();
    if (dropPartial) scanner.restart(0);
    scanner.end();
    assert.ok(skips > 0 || skippedRecords === 0);
    for (const record of seen) {
      assert.deepEqual(record.fields, whole.get(record.line), `file ${file}, line ${record.line}: a whole record, where it is`);
    }
    assert.equal(seen.length + skippedRecords, whole.size, `file ${file}: every record profiled or counted`);
    assert.equal(new Set(seen.map((record) => record.line)).size, seen.length);
  }
});

test('a file within its first whole bytes is never skipped: its upload waits instead', () => {
  const text = `id,v\n${Array.from({ length: 1000 }, (_, row) => `${row},${row % 7}`).join('\n')}\n`;
  const feed = new ProfileFeed('csv', Buffer.byteLength(text));
  const profiler = new DelimitedProfiler('csv', 100);
  for (const chunk of chunksOf(Buffer.from(text), random(3), 50)) {
    const step = feed.next(chunk, false);
    assert.equal(step.send, chunk, 'sent although the budget is full');
    assert.equal(step.skipLines, undefined);
    profiler.write(chunk);
  }
  assert.equal(feed.mayFallBehind, true, 'past its whole bytes, it may');
  const profile = profiler.finish();
  assert.equal(profile.rows, 1000);
  assert.equal(profile.profiledRows, 1000);
  assert.equal(feed.end().skippedRecords, 0);
});

test('JSON lines fall behind and resume at a line start; the profile counts every line', () => {
  const next = random(21);
  const lines = Array.from({ length: 3000 }, (_, row) => JSON.stringify({ id: row, text: 'a "quoted"\\n value', n: row % 5 }));
  const text = `${lines.join('\r\n')}\r\n`;
  const feed = new ProfileFeed('jsonl', 1024);
  const profiler = new JsonLinesProfiler(100);
  for (const chunk of chunksOf(Buffer.from(text), next, 700)) {
    const step = feed.next(chunk, next() < 0.3);
    if (step.skipLines !== undefined) profiler.skip(step.skipLines);
    if (step.send) profiler.write(step.send);
  }
  const { skippedRecords, dropPartial } = feed.end();
  if (dropPartial) profiler.skip(0);
  const profile = profiler.finish();
  assert.equal(profile.problemCount, 0, JSON.stringify(profile.problems));
  assert.ok(profile.profiledRows < 3000, 'some lines were skipped');
  assert.equal(profile.rows + skippedRecords, 3000);
  assert.equal(profile.columns.find((column) => column.name === 'id')?.nulls, 0);
});

test('on the profiling thread: an upload that outruns it skips ahead, and the profile still counts every row', async () => {
  // Written without yielding, so the thread's acknowledgements cannot arrive: past 16 MiB of
  // copies the budget is full, deterministically, and the job (whole for its first 1 MiB) skips.
  const rows = 800_000;
  const lines = ['id,amount,label'];
  for (let row = 0; row < rows; row += 1) lines.push(`${row},${(row % 1000) / 10},"label ${row % 3}, quoted"`);
  const bytes = Buffer.from(`${lines.join('\n')}\n`);
  assert.ok(bytes.length > 20 * 1024 * 1024, `${bytes.length} bytes`);
  const thread = new ProfilingThread();
  const job = thread.job('csv', 100, 1024 * 1024);
  const waits: unknown[] = [];
  for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
    const wait = job.write(bytes.subarray(offset, offset + 64 * 1024));
    if (wait) waits.push(wait);
  }
  assert.equal(waits.length, 0, 'past its whole bytes, an upload never waits');
  const profile = await job.finish();
  assert.equal(profile.rows, rows, 'every row counted');
  assert.ok(profile.profiledRows < rows && profile.profiledRows > 0, `${profile.profiledRows} rows profiled`);
  assert.equal(profile.status, 'sampled', 'a profile of fewer rows than counted says so');
  assert.equal(profile.problemCount, 0, JSON.stringify(profile.problems));
  const amount = profile.columns.find((column) => column.name === 'amount');
  assert.equal(amount?.type, 'number');
  assert.equal(amount?.nulls, 0);
  assert.deepEqual(
    profile.columns
      .find((column) => column.name === 'label')
      ?.top?.map((entry) => entry.value)
      .sort(),
    ['label 0, quoted', 'label 1, quoted', 'label 2, quoted'],
  );
  await thread.close();
});

test('the profiling thread reserves its memory from the upload budget while it runs, and stops when idle', async () => {
  const budget = new MemoryBudget();
  const thread = new ProfilingThread({ budget, idleMs: 300 });
  const pool = new PartBufferPool(8 * 1024 * 1024, 128 * 1024 * 1024, () => budget.reserved);
  budget.onChange(() => pool.resize());
  const profileOf = async (text: string) => {
    const job = thread.job('csv', 100);
    await job.write(Buffer.from(text));
    return job.finish();
  };
  assert.equal((await profileOf('a,b\n1,2\n')).rows, 1);
  assert.ok(thread.running);
  assert.equal(budget.reserved, THREAD_RESERVE_BYTES);
  assert.equal(pool.count, Math.floor((128 * 1024 * 1024 - budget.reserved) / (8 * 1024 * 1024)));
  const deadline = Date.now() + 10_000;
  while (thread.running || budget.reserved !== 0) {
    assert.ok(Date.now() < deadline, 'the idle thread stopped');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(pool.count, 16);
  // The next job starts a thread again.
  assert.equal((await profileOf('x\n1\n2\n')).rows, 2);
  await thread.close();
  assert.equal(thread.running, false);
  assert.equal(budget.reserved, 0, 'closing the thread gives its memory back');
});
