/**
 * The own row assembly for flat Parquet files (src/profiles/parquet-flat-rows.ts: previews' first
 * rows, an explanation's rows at any depth) answers what hyparquet's parquetReadObjects answers, on files written with hyparquet-writer in
 * the layouts writers produce, and reads data pages v1 (pyarrow's default), which
 * hyparquet-writer does not write: those are built here, page by page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { writePlain } from 'hyparquet-writer/src/plain.js';
import { firstRowsOfFlatFile, rowsOfFlatFile } from '../src/profiles/parquet-flat-rows.ts';

function memoryFile(bytes: ArrayBuffer): AsyncBuffer & { reads: number } {
  const file = {
    byteLength: bytes.byteLength,
    reads: 0,
    slice(start: number, end?: number) {
      file.reads += 1;
      return bytes.slice(start, end);
    },
  };
  return file;
}

async function bothReaders(bytes: ArrayBuffer, rows: number, first = 0) {
  const file = memoryFile(bytes);
  const metadata = await parquetMetadataAsync(file);
  const columns = metadata.schema.slice(1).map((element) => element.name);
  const expected = (await parquetReadObjects({ file, metadata, rowStart: first, rowEnd: first + rows })).map((row) =>
    columns.map((column) => row[column]),
  );
  const actual =
    first === 0 ? await firstRowsOfFlatFile(file, metadata, rows) : await rowsOfFlatFile(file, metadata, first, rows);
  return { actual, expected };
}

const count = 30_000;
const ids = Int32Array.from({ length: count }, (_, row) => 2_987_000 + row);
const amounts = Array.from({ length: count }, (_, row) => (row % 7 === 3 ? null : Math.round(row * 13.37) / 100));
const products = Array.from({ length: count }, (_, row) => (row % 11 === 5 ? null : ['W', 'H', 'C', 'S', 'R'][row % 5]));
const emails = Array.from({ length: count }, (_, row) => (row % 3 === 0 ? null : `user${row}@example.org`));
const flags = Array.from({ length: count }, (_, row) => (row % 13 === 0 ? null : row % 2 === 0));
const times = Array.from({ length: count }, (_, row) => new Date(Date.UTC(2017, 11, 1) + row * 86_400));
const big = Array.from({ length: count }, (_, row) => BigInt(row) * 1_000_000_007n);

const layouts: Array<[string, Parameters<typeof parquetWriteBuffer>[0]['rowGroupSize'], number | undefined]> = [
  ['one page per column chunk', 100_000, 64 * 1024 * 1024],
  ['many small pages with an offset index', 100_000, 16 * 1024],
  ['several row groups', 5_000, undefined],
];

for (const [layout, rowGroupSize, pageSize] of layouts) {
  test(`the same rows as parquetReadObjects, first and at any depth: ${layout}`, async () => {
    const bytes = parquetWriteBuffer({
      columnData: [
        { name: 'TransactionID', data: ids, type: 'INT32', nullable: false },
        { name: 'TransactionAmt', data: amounts, type: 'DOUBLE' },
        { name: 'ProductCD', data: products, type: 'STRING' }, // dictionary encoded
        { name: 'P_emaildomain', data: emails, type: 'STRING', encoding: 'PLAIN' },
        { name: 'isFraud', data: flags, type: 'BOOLEAN' },
        { name: 'TransactionDT', data: times, type: 'TIMESTAMP' },
        { name: 'card1', data: big, type: 'INT64' },
      ],
      rowGroupSize,
      ...(pageSize ? { pageSize } : {}),
    });
    for (const rows of [1, 50, 500, 4_999]) {
      const { actual, expected } = await bothReaders(bytes, rows);
      assert.equal(expected.length, rows);
      assert.deepEqual(actual, expected, `${rows} rows`);
    }
    // Any depth: across row group and page boundaries, the last rows, and past the end.
    for (const [first, rows] of [
      [4_990, 20],
      [12_345, 1],
      [17_000, 500],
      [count - 3, 3],
      [count - 2, 10],
    ] as const) {
      const { actual, expected } = await bothReaders(bytes, rows, first);
      assert.equal(expected.length, Math.min(rows, count - first));
      assert.deepEqual(actual, expected, `rows ${first}+${rows}`);
    }
  });
}

test('a nested column is declined, for parquetReadObjects to read', async () => {
  const bytes = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: [1, 2] },
      { name: 'tags', data: [['a'], ['b', 'c']] },
    ],
    schema: [
      { name: 'root', num_children: 2 },
      { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 'tags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    ],
  });
  const file = memoryFile(bytes);
  const metadata = await parquetMetadataAsync(file);
  assert.equal(await firstRowsOfFlatFile(file, metadata, 2), undefined);
  // What the preview answers instead:
  assert.deepEqual(await parquetReadObjects({ file, metadata }), [
    { id: 1, tags: ['a'] },
    { id: 2, tags: ['b', 'c'] },
  ]);
});

test('data pages v1 (what pyarrow writes by default), plain and with nulls, uncompressed', async () => {
  // Two columns of three pages each: id INT32 required, amount DOUBLE optional (every 4th null).
  const pages = [
    [0, 4],
    [4, 9],
    [9, 12],
  ];
  const amountOf = (row: number) => (row % 4 === 1 ? null : row * 1.5);
  const writer = new ByteWriter();
  writer.appendBytes(new Uint8Array([0x50, 0x41, 0x52, 0x31])); // PAR1
  const chunk = (write: (first: number, last: number, body: ByteWriter) => void) => {
    const start = writer.offset;
    for (const [first, last] of pages as Array<[number, number]>) {
      const body = new ByteWriter();
      write(first, last, body);
      writePageHeader(writer, {
        type: 'DATA_PAGE',
        uncompressed_page_size: body.offset,
        compressed_page_size: body.offset,
        data_page_header: {
          num_values: last - first,
          encoding: 'PLAIN',
          definition_level_encoding: 'RLE',
          repetition_level_encoding: 'RLE',
        },
      });
      writer.appendBytes(body.getBytes());
    }
    return { start, size: writer.offset - start };
  };
  const idChunk = chunk((first, last, body) => {
    writePlain(
      body,
      Array.from({ length: last - first }, (_, index) => first + index),
      'INT32',
      undefined,
    );
  });
  const amountChunk = chunk((first, last, body) => {
    const rows = Array.from({ length: last - first }, (_, index) => amountOf(first + index));
    const levels = new ByteWriter();
    writeRleBitPackedHybrid(
      levels,
      rows.map((value) => (value === null ? 0 : 1)),
      1,
    );
    body.appendUint32(levels.offset); // v1: the levels' byte length, then the levels
    body.appendBytes(levels.getBytes());
    writePlain(
      body,
      rows.filter((value) => value !== null),
      'DOUBLE',
      undefined,
    );
  });
  const columnMeta = (name: string, type: 'INT32' | 'DOUBLE', at: { start: number; size: number }) => ({
    file_offset: BigInt(at.start),
    meta_data: {
      type,
      encodings: ['PLAIN', 'RLE'],
      path_in_schema: [name],
      codec: 'UNCOMPRESSED',
      num_values: 12n,
      total_uncompressed_size: BigInt(at.size),
      total_compressed_size: BigInt(at.size),
      data_page_offset: BigInt(at.start),
    },
  });
  const metadata = {
    version: 1,
    schema: [
      { name: 'schema', num_children: 2 },
      { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
      { name: 'amount', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    ],
    num_rows: 12n,
    row_groups: [
      {
        num_rows: 12n,
        total_byte_size: BigInt(idChunk.size + amountChunk.size),
        columns: [columnMeta('id', 'INT32', idChunk), columnMeta('amount', 'DOUBLE', amountChunk)],
      },
    ],
    metadata_length: 0,
  } as unknown as FileMetaData;
  // The footer, as every Parquet file ends: metadata and its length (writeMetadata writes both), PAR1.
  writeMetadata(writer, metadata as unknown as Parameters<typeof writeMetadata>[1]);
  writer.appendBytes(new Uint8Array([0x50, 0x41, 0x52, 0x31]));
  const bytes = writer.getBytes();
  const file = memoryFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  assert.equal((await parquetMetadataAsync(file)).num_rows, 12n, 'a file hyparquet reads');
  const expected = Array.from({ length: 12 }, (_, row) => [row, amountOf(row)]);
  assert.deepEqual(await firstRowsOfFlatFile(file, metadata, 12), expected);
  assert.deepEqual(await firstRowsOfFlatFile(file, metadata, 6), expected.slice(0, 6));
});

test('a file without rows answers none, reading nothing past its footer', async () => {
  const bytes = parquetWriteBuffer({ columnData: [{ name: 'id', data: new Int32Array(0), type: 'INT32' }] });
  const file = memoryFile(bytes);
  const metadata = await parquetMetadataAsync(file);
  const footerReads = file.reads;
  assert.deepEqual(await firstRowsOfFlatFile(file, metadata, 50), []);
  assert.equal(file.reads, footerReads);
});

test('with an offset index, a row deep in a row group reads its pages, not its column chunks', async () => {
  const rows = 200_000;
  const columnData = Array.from({ length: 4 }, (_, column) => ({
    name: `f${column}`,
    data: Float64Array.from({ length: rows }, (_, row) => row + column / 10),
    type: 'DOUBLE' as const,
    offsetIndex: true,
  }));
  const bytes = parquetWriteBuffer({ columnData, rowGroupSize: rows, pageSize: 8 * 1024, codec: 'UNCOMPRESSED' });
  const file = memoryFile(bytes);
  const metadata = await parquetMetadataAsync(file);
  let bytesRead = 0;
  const counted: AsyncBuffer = {
    byteLength: file.byteLength,
    slice(start, end) {
      bytesRead += (end ?? file.byteLength) - start;
      return file.slice(start, end);
    },
  };
  assert.deepEqual(await rowsOfFlatFile(counted, metadata, 150_000, 2), [
    [150_000, 150_000.1, 150_000.2, 150_000.3],
    [150_001, 150_001.1, 150_001.2, 150_001.3],
  ]);
  // 4 columns × (one 8 KiB page + its offset index) — not 4 × 1.6 MB of column chunk.
  assert.ok(bytesRead < 4 * 64 * 1024, `${bytesRead} bytes read`);
});

test('requests, not bytes: a row of a 40-column row group is two reads (its offset indexes, then its pages merged)', async () => {
  const rows = 5000;
  const columnData = Array.from({ length: 40 }, (_, column) => ({
    name: `f${column}`,
    data: Float64Array.from({ length: rows }, (_, row) => row * 100 + column),
    type: 'DOUBLE' as const,
  }));
  const bytes = parquetWriteBuffer({ columnData, rowGroupSize: rows, pageSize: 8 * 1024, codec: 'UNCOMPRESSED' });
  const file = memoryFile(bytes);
  const metadata = await parquetMetadataAsync(file);
  const before = file.reads;
  assert.deepEqual(await rowsOfFlatFile(file, metadata, 2500, 1), [Array.from({ length: 40 }, (_, column) => 250_000 + column)]);
  assert.equal(file.reads - before, 2);
});

test("a file's footer is read once for its rows, by its immutable key; another key reads its own", async () => {
  const { runParquetJob } = await import('../src/profiles/parquet-jobs.ts');
  const bytes = parquetWriteBuffer({
    columnData: [{ name: 'x', data: Int32Array.from({ length: 3000 }, (_, row) => row), type: 'INT32' }],
    rowGroupSize: 1000,
  });
  const file = memoryFile(bytes);
  const job = (first: number, key: string) => ({ kind: 'rows' as const, first, count: 2, key });
  assert.deepEqual(await runParquetJob(job(1500, 'explanations/a.parquet'), file), {
    columns: ['x'],
    rows: [[1500], [1501]],
    total: 3000,
  });
  const first = file.reads;
  assert.deepEqual(await runParquetJob(job(2998, 'explanations/a.parquet'), file), {
    columns: ['x'],
    rows: [[2998], [2999]],
    total: 3000,
  });
  const again = file.reads - first;
  await runParquetJob(job(0, 'explanations/b.parquet'), file);
  const other = file.reads - first - again;
  assert.ok(again < other, `kept footer: ${again} reads; another key: ${other}`);
});
