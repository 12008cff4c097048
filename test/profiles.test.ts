/**
 * Dataset profiles and previews on both backends, checked against what the generators wrote:
 * quoting edge cases, a 394-column table shaped like IEEE-CIS's transactions, JSON lines, a
 * Parquet file written with hyparquet-writer, a malformed CSV; the direct-upload path profiles
 * the same bytes to the same profile; a preview reads a bounded number of bytes from storage.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { createArtifactClient } from '../client/index.ts';
import { CsvScanner } from '../src/profiles/csv-scanner.ts';
import type { ObjectStorage } from '../src/storage/port.ts';
import { appFor, type Backend } from './support/app.ts';
import { expectProblem } from './support/checks.ts';
import { bufferFile } from './support/data.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

interface Column {
  name: string;
  type: string;
  nulls: number | null;
  min: number | string | null;
  max: number | string | null;
  mean: number | null;
  top: Array<{ value: string; count: number }> | null;
}
interface Profile {
  format: string;
  status: string;
  rows: number;
  profiledRows: number;
  columnCount: number;
  columns: Column[];
  untrackedColumns: number;
  problems: Array<{ row: number; message: string }>;
  problemCount: number;
  rowGroups?: number;
}
interface DatasetFile {
  id: string;
  path: string;
  size: number;
  profile: { status: string; format: string | null; rows: number | null; columns: number | null; reason?: string };
}

/** Deterministic pseudo-random numbers (a small LCG), so the test knows every value it wrote. */
/** Counts the bytes storage serves through readRange, until restore(). */
function countReads(storage: ObjectStorage): { fetched(): number; restore(): void } {
  const readRange = storage.readRange.bind(storage);
  let fetched = 0;
  storage.readRange = async (key, start, end) => {
    const bytes = await readRange(key, start, end);
    fetched += bytes.length;
    return bytes;
  };
  return {
    fetched: () => fetched,
    restore: () => {
      storage.readRange = readRange;
    },
  };
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Shaped like IEEE-CIS train_transaction.csv: 394 columns, ids, amounts, categories, sparse V columns. */
function wideCsv(rows: number) {
  const next = random(7);
  const header = ['TransactionID', 'isFraud', 'TransactionDT', 'TransactionAmt', 'ProductCD'];
  for (let card = 1; card <= 6; card += 1) header.push(`card${card}`);
  for (let v = 1; header.length < 394; v += 1) header.push(`V${v}`);
  const products = ['W', 'H', 'C', 'S', 'R'];
  const expected = {
    amountMin: Number.POSITIVE_INFINITY,
    amountMax: 0,
    amountSum: 0,
    productCounts: new Map<string, number>(),
    v1Nulls: 0,
  };
  const lines = [header.join(',')];
  for (let row = 0; row < rows; row += 1) {
    const amount = Math.round(next() * 500000) / 100;
    const product = products[Math.floor(next() * products.length)] as string;
    expected.amountMin = Math.min(expected.amountMin, amount);
    expected.amountMax = Math.max(expected.amountMax, amount);
    expected.amountSum += amount;
    expected.productCounts.set(product, (expected.productCounts.get(product) ?? 0) + 1);
    const fields = [String(2987000 + row), next() < 0.035 ? '1' : '0', String(86400 + row * 7), String(amount), product];
    for (let card = 1; card <= 6; card += 1)
      fields.push(card === 4 ? (next() < 0.5 ? 'visa' : 'mastercard') : String(Math.floor(next() * 1000)));
    for (let v = 1; fields.length < 394; v += 1) {
      const missing = next() < 0.3;
      if (v === 1 && missing) expected.v1Nulls += 1;
      fields.push(missing ? '' : String(Math.floor(next() * 10)));
    }
    lines.push(fields.join(','));
  }
  return { text: `${lines.join('\n')}\n`, header, expected };
}

const QUOTING_CSV =
  '\ufeffid,name,amount,when,flag,empty\r\n' +
  '1,"Smith, J",1.5,2024-01-02,true,\r\n' +
  '2,"multi\nline ""quoted""",NA,2024-02-03T10:00:00Z,false,\r\n' +
  '3,bob,-2e3,2023-12-31,true,NA\r\n' +
  '4,"comma, and ""quote""",NaN,2024-01-01,TRUE,null\r\n';

function profileSuite(backend: Backend) {
  describe(`dataset profiles on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    const app = appFor({ backend, env: { PROFILE_MAX_COLUMNS: '300' } });

    async function addFile(dataset: string, path: string, bytes: Buffer): Promise<DatasetFile> {
      const response = await upload(`${app.baseUrl}/datasets/${dataset}/files`, [
        { name: 'file', filename: path, file: bufferFile(bytes) },
      ]);
      assert.equal(response.status, 201, await response.clone().text());
      const body = (await response.json()) as { files: DatasetFile[] };
      const file = body.files.find((candidate) => candidate.path === path);
      assert.ok(file);
      return file;
    }
    async function profileOf(dataset: string, file: DatasetFile): Promise<Profile | null> {
      const response = await fetch(`${app.baseUrl}/datasets/${dataset}/files/${file.id}/profile`);
      assert.equal(response.status, 200);
      return ((await response.json()) as { profile: Profile | null }).profile;
    }
    const column = (profile: Profile | null, name: string) => {
      const found = profile?.columns.find((candidate) => candidate.name === name);
      assert.ok(found, `column ${name}`);
      return found;
    };

    before(async () => {
      const response = await upload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'profiles' }]);
      assert.equal(response.status, 201);
    });

    test('CSV with a BOM, \\r\\n, quoted commas, quotes and newlines: exact rows, types, nulls and ranges', async () => {
      const file = await addFile('profiles', 'raw/quoting.csv', Buffer.from(QUOTING_CSV));
      assert.deepEqual(file.profile, { status: 'complete', format: 'csv', rows: 4, columns: 6 });
      const profile = await profileOf('profiles', file);
      assert.equal(profile?.status, 'complete');
      assert.deepEqual(
        profile?.columns.map((c) => [c.name, c.type, c.nulls]),
        [
          ['id', 'integer', 0],
          ['name', 'string', 0],
          ['amount', 'number', 2],
          ['when', 'datetime', 0],
          ['flag', 'boolean', 0],
          ['empty', 'empty', 4],
        ],
      );
      assert.deepEqual([column(profile, 'amount').min, column(profile, 'amount').max], [-2000, 1.5]);
      assert.equal(column(profile, 'amount').mean, (1.5 - 2000) / 2);
      assert.deepEqual([column(profile, 'when').min, column(profile, 'when').max], ['2023-12-31', '2024-02-03T10:00:00Z']);
      assert.deepEqual(
        column(profile, 'name')
          .top?.map((entry) => entry.value)
          .sort(),
        ['Smith, J', 'bob', 'comma, and "quote"', 'multi\nline "quoted"'],
      );
    });

    test('a 394-column table shaped like IEEE-CIS transactions: columns past PROFILE_MAX_COLUMNS are counted, the rest exact', async () => {
      const { text, expected } = wideCsv(3000);
      const file = await addFile('profiles', 'raw/train_transaction.csv', Buffer.from(text));
      assert.deepEqual(file.profile, { status: 'complete', format: 'csv', rows: 3000, columns: 394 });
      const profile = await profileOf('profiles', file);
      assert.equal(profile?.profiledRows, 3000, 'a file within its first 16 MiB is always profiled whole');
      assert.equal(profile?.columns.length, 300);
      assert.equal(profile?.untrackedColumns, 94);
      const amount = column(profile, 'TransactionAmt');
      assert.equal(amount.type, 'number');
      assert.equal(amount.min, expected.amountMin);
      assert.equal(amount.max, expected.amountMax);
      assert.ok(Math.abs((amount.mean ?? 0) - expected.amountSum / 3000) < 1e-6);
      assert.equal(column(profile, 'TransactionID').type, 'integer');
      assert.equal(column(profile, 'TransactionID').min, 2987000);
      assert.deepEqual(
        column(profile, 'ProductCD').top,
        [...expected.productCounts]
          .map(([value, count]) => ({ value, count }))
          .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1)),
      );
      assert.equal(column(profile, 'V1').nulls, expected.v1Nulls);
      assert.equal(column(profile, 'card4').type, 'string');
    });

    test('JSON lines: keys in first-seen order, JSON types kept, missing keys are missing values', async () => {
      const lines = ['{"id":1,"score":0.5,"label":"a"}', '{"id":2,"score":null,"extra":true}', '{"id":3,"score":2,"label":"b"}'];
      const file = await addFile('profiles', 'raw/rows.jsonl', Buffer.from(`${lines.join('\n')}\n`));
      const profile = await profileOf('profiles', file);
      assert.deepEqual(
        profile?.columns.map((c) => [c.name, c.type, c.nulls]),
        [
          ['id', 'integer', 0],
          ['score', 'number', 1],
          ['label', 'string', 1],
          ['extra', 'boolean', 2],
        ],
      );
      assert.equal(profile?.rows, 3);
    });

    test('Parquet: from the footer, with row groups, physical and logical types, null counts and min/max', async () => {
      const bytes = Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'TransactionID', data: [10, 11, 12, 13, 14], type: 'INT32' },
            { name: 'TransactionAmt', data: [68.5, null, 29, 59, 50.25], type: 'DOUBLE' },
            { name: 'ProductCD', data: ['W', 'H', null, 'W', 'C'], type: 'STRING' },
          ],
          rowGroupSize: 2,
        }),
      );
      const file = await addFile('profiles', 'processed/train.parquet', bytes);
      assert.deepEqual(file.profile, { status: 'complete', format: 'parquet', rows: 5, columns: 3 });
      const profile = await profileOf('profiles', file);
      assert.equal(profile?.rowGroups, 3);
      assert.deepEqual(
        profile?.columns.map((c) => [c.name, c.type, c.nulls, c.min, c.max]),
        [
          ['TransactionID', 'integer', 0, 10, 14],
          ['TransactionAmt', 'number', 1, 29, 68.5],
          ['ProductCD', 'string', 1, null, null],
        ],
      );
      const preview = (await (await fetch(`${app.baseUrl}/datasets/profiles/files/${file.id}/preview?rows=3`)).json()) as {
        columns: string[];
        rows: unknown[][];
      };
      assert.deepEqual(preview.columns, ['TransactionID', 'TransactionAmt', 'ProductCD']);
      assert.deepEqual(preview.rows, [
        [10, 68.5, 'W'],
        [11, null, 'H'],
        [12, 29, null],
      ]);
    });

    test('a malformed CSV still uploads; its profile says what went wrong and on which line', async () => {
      const text = 'a,b,c\n1,2,3\n4,5\n6,"unterminated,7\n8,9,10\n';
      const invalidUtf8 = Buffer.concat([Buffer.from(text), Buffer.from([0x31, 0x2c, 0xff, 0xfe, 0x2c, 0x33, 0x0a])]);
      const file = await addFile('profiles', 'raw/broken.csv', invalidUtf8);
      assert.equal(file.profile.status, 'partial');
      const profile = await profileOf('profiles', file);
      assert.equal(profile?.status, 'partial');
      assert.ok(
        profile?.problems.some((problem) => problem.row === 3 && /2 fields/.test(problem.message)),
        JSON.stringify(profile?.problems),
      );
      assert.ok(
        profile?.problems.some((problem) => /UTF-8/.test(problem.message)),
        JSON.stringify(profile?.problems),
      );
      assert.ok(
        profile?.problems.some((problem) => /quote/i.test(problem.message)),
        JSON.stringify(profile?.problems),
      );
    });

    test('binary bytes under a .csv name, NULs and a 3 MiB line with no end: stored as sent, profiled within bounds', async () => {
      const nul = await addFile('profiles', 'raw/nul.csv', Buffer.from('na\u0000me,b\nx\u0000y,1\nz,2\n'));
      assert.equal(nul.profile.rows, 2);
      const profile = await profileOf('profiles', nul);
      assert.equal(profile?.columns[0]?.name, 'na\ufffdme');
      const endless = Buffer.alloc(3 * 1024 * 1024, 'a');
      const long = await addFile('profiles', 'raw/one-line.jsonl', endless);
      assert.equal(long.profile.status, 'partial');
      const wide = await addFile('profiles', 'raw/one-field.csv', endless);
      assert.equal(wide.profile.status, 'none');
      assert.match(wide.profile.reason ?? '', /no line ends in its first 1 MiB/);
      assert.equal(wide.size, endless.length, 'stored all the same');
    });

    test('other formats: no profile and the reason; no preview (422 preview_unavailable)', async () => {
      const file = await addFile('profiles', 'raw/archive.zip', Buffer.from('PK\u0003\u0004 not really'));
      assert.equal(file.profile.status, 'none');
      assert.match(file.profile.reason ?? '', /only CSV, TSV, JSON lines and Parquet/);
      const response = await fetch(`${app.baseUrl}/datasets/profiles/files/${file.id}/profile`);
      assert.equal(((await response.json()) as { profile: null }).profile, null);
      await expectProblem(await fetch(`${app.baseUrl}/datasets/profiles/files/${file.id}/preview`), 422, 'preview_unavailable');
    });

    test('a direct upload profiles the same bytes to the same profile, in its verification read-back', async () => {
      const { text } = wideCsv(1500);
      const proxied = await addFile('profiles', 'raw/proxied.csv', Buffer.from(text));
      const client = createArtifactClient({ baseUrl: app.baseUrl });
      const session = await client.uploadDirect(new Blob([text]), {
        type: 'dataset-file',
        dataset: 'profiles',
        path: 'raw/direct.csv',
      });
      const direct = (session.result as unknown as { files: DatasetFile[] }).files.find((file) => file.path === 'raw/direct.csv');
      assert.ok(direct);
      assert.deepEqual(direct.profile, proxied.profile);
      assert.deepEqual(await profileOf('profiles', direct), await profileOf('profiles', proxied));
    });

    test('a preview of a large CSV reads a bounded prefix from storage, whatever the file size', async () => {
      const { text } = wideCsv(12000);
      const file = await addFile('profiles', 'raw/large.csv', Buffer.from(text));
      assert.ok(text.length > 8 * 1024 * 1024, `the file has ${text.length} bytes`);
      const reads = countReads(app.services.storage);
      try {
        const response = await fetch(`${app.baseUrl}/datasets/profiles/files/${file.id}/preview?rows=50`);
        assert.equal(response.status, 200);
        const preview = (await response.json()) as {
          columns: string[];
          rows: unknown[][];
          bytesRead: number;
          truncated: boolean;
        };
        assert.equal(preview.columns.length, 394);
        assert.equal(preview.rows.length, 50);
        assert.equal(preview.rows[0]?.[0], 2987000, 'typed as the profile types the column: an integer');
        assert.equal(preview.truncated, false);
        assert.equal(preview.bytesRead, reads.fetched(), 'the answer reports what storage served');
        assert.ok(reads.fetched() <= 1024 * 1024, `read ${reads.fetched()} bytes for 50 rows`);
        await expectProblem(
          await fetch(`${app.baseUrl}/datasets/profiles/files/${file.id}/preview?rows=501`),
          400,
          'validation_failed',
        );
      } finally {
        reads.restore();
      }
    });

    test('a Parquet preview reads only the first pages when the writer stored an offset index', async () => {
      const rows = 200_000;
      const bytes = Buffer.from(
        parquetWriteBuffer({
          columnData: [
            { name: 'TransactionID', data: Int32Array.from({ length: rows }, (_, row) => 2987000 + row), type: 'INT32' },
            { name: 'V1', data: Float64Array.from({ length: rows }, (_, row) => Math.sin(row)), type: 'DOUBLE' },
          ],
          rowGroupSize: 100_000,
          // About 20,000 rows per page, as parquet-mr (Spark) writes them; an offset index per column chunk.
          pageSize: 160_000,
        }),
      );
      const file = await addFile('profiles', 'processed/pages.parquet', bytes);
      const reads = countReads(app.services.storage);
      try {
        const response = await fetch(`${app.baseUrl}/datasets/profiles/files/${file.id}/preview?rows=50`);
        assert.equal(response.status, 200);
        const preview = (await response.json()) as { columns: string[]; rows: number[][]; bytesRead: number };
        assert.deepEqual(preview.columns, ['TransactionID', 'V1']);
        assert.equal(preview.rows.length, 50);
        assert.deepEqual(preview.rows[49], [2987049, Math.sin(49)]);
        assert.equal(preview.bytesRead, reads.fetched(), 'the answer reports what storage served');
        // The first row group's two column chunks are ~1.2 MB; their first pages ~240 KB.
        assert.ok(reads.fetched() < 400 * 1024, `read ${reads.fetched()} bytes of ${bytes.length} for 50 rows`);
      } finally {
        reads.restore();
      }
    });
  });
}

test("the profiler's CSV scanner splits records exactly as csv-parse does, whatever the chunking", () => {
  const next = random(11);
  const pieces = ['a', 'bc', '', '1.5', ' spaced ', '"q""uote"', '"com,ma"', '"new\nline"', '"cr\r\nlf"', 'é', '""'];
  for (let file = 0; file < 40; file += 1) {
    const lines: string[] = [];
    for (let row = 0; row < 30; row += 1) {
      const fields = Array.from(
        { length: 1 + Math.floor(next() * 6) },
        () => pieces[Math.floor(next() * pieces.length)] as string,
      );
      lines.push(fields.join(','));
    }
    const text = (file % 2 ? '\ufeff' : '') + lines.join(file % 3 ? '\r\n' : '\n') + (file % 4 ? '\n' : '');
    const expected = parse(text, {
      bom: true,
      record_delimiter: ['\r\n', '\n'],
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
    const records: string[][] = [];
    const problems: string[] = [];
    const scanner = new CsvScanner(',', {
      record: (fields) => records.push(fields),
      problem: (_line, message) => problems.push(message),
    });
    for (let offset = 0; offset < text.length; ) {
      const size = 1 + Math.floor(next() * 7);
      scanner.write(text.slice(offset, offset + size));
      offset += size;
    }
    scanner.end();
    assert.deepEqual(problems, []);
    assert.deepEqual(records, expected, `file ${file}: ${JSON.stringify(text)}`);
  }
});

test('a record with no end keeps at most maxFields values and a bounded number of characters, and counts the rest', () => {
  const seen: Array<{ kept: number; count: number; chars: number }> = [];
  const scanner = new CsvScanner(
    ',',
    {
      record: (fields, _line, count) => seen.push({ kept: fields.length, count, chars: fields.join('').length }),
      problem: () => {},
    },
    2000,
  );
  // 8 MiB with no line break: one header of 1,048,576 fields (what a binary file named .csv can be).
  const piece = 'abcdefg,'.repeat(8192);
  for (let index = 0; index < 128; index += 1) scanner.write(piece);
  scanner.end();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.count, 1_048_577);
  assert.equal(seen[0]?.kept, 2000);
  // And a record of few but long fields keeps at most 4 Mi characters in all.
  const long: number[] = [];
  const wide = new CsvScanner(',', { record: (fields) => long.push(fields.join('').length), problem: () => {} }, 2000);
  const field = 'x'.repeat(60 * 1024);
  for (let index = 0; index < 200; index += 1) wide.write(`${field},`);
  wide.end();
  assert.ok((long[0] ?? 0) <= 4 * 1024 * 1024, `kept ${long[0]} characters`);
});

profileSuite('embedded');
profileSuite('s3-postgres');
