/**
 * Any rows of a stored table file, read with Range requests at any depth: CSV and TSV through
 * their sparse row index (row-index.ts: one read of about a stride), NumPy `.npy` matrices by
 * arithmetic (one read at header + row × row bytes), Parquet through its row groups and offset
 * index (parquet-rows.ts, on a Parquet reading thread). What a file declares is checked against
 * its size before it sizes a read, and no answer reads more than MAX_ROWS_BYTES.
 */
import { AppError } from '../errors.ts';
import { extensionOf } from '../fields/file-types.ts';
import { typedRows } from './column-stats.ts';
import { NPY_HEADER_MAX_BYTES, parseNpyHeader } from './npy-matrix.ts';
import type { ParquetReading } from './parquet-reading.ts';
import { type RowIndex, segmentOf } from './row-index.ts';

/** Most bytes one answer reads (rows are small; a page of 500 wide rows fits many times over). */
export const MAX_ROWS_BYTES = 64 * 1024 * 1024;
/** Without a row index (a file uploaded with profiling off), how far a text file is read from its start. */
const UNINDEXED_BYTES = 16 * 1024 * 1024;

type ReadRange = (start: number, end: number) => Promise<Buffer>;

export interface TableFile {
  /** Its object key: names one immutable content (a Parquet footer read once may be kept by it). */
  objectKey: string;
  path: string;
  size: number;
  rowIndex?: RowIndex | null | undefined;
}

export interface TableRows {
  columns: string[];
  /** Rows `first` … `first + rows.length - 1`, cells in column order. */
  rows: unknown[][];
  /** Rows in the file (null when a text file without a row index does not say). */
  total: number | null;
  bytesRead: number;
}

export const TABLE_ROW_FORMATS = new Set(['csv', 'tsv', 'parquet', 'npy']);

export async function readTableRows(
  file: TableFile,
  readRange: ReadRange,
  first: number,
  count: number,
  parquet: ParquetReading,
): Promise<TableRows> {
  let bytesRead = 0;
  const counted: ReadRange = async (start, end) => {
    bytesRead += end - start;
    if (bytesRead > MAX_ROWS_BYTES) throw tooLarge();
    return readRange(start, end);
  };
  const extension = extensionOf(file.path);
  let read: Omit<TableRows, 'bytesRead'>;
  switch (extension) {
    case 'csv':
    case 'tsv':
      read = await delimitedRows(file, counted, first, count, extension === 'tsv' ? '\t' : ',');
      break;
    case 'npy':
      read = await npyRows(file.size, counted, first, count);
      break;
    case 'parquet': {
      const { result, bytesRead: parquetBytes } = await parquet.rows(
        file.objectKey,
        file.size,
        readRange,
        first,
        count,
        MAX_ROWS_BYTES,
        tooLarge,
      );
      bytesRead += parquetBytes;
      read = result;
      break;
    }
    default:
      throw new AppError('rows_unavailable', `.${extension} files have no rows to read; CSV, TSV, Parquet and .npy do.`);
  }
  return { ...read, bytesRead };
}

function tooLarge(): AppError {
  return new AppError('rows_too_large', `These rows would take more than ${MAX_ROWS_BYTES} bytes to read; ask for fewer.`, {
    details: { maxBytes: MAX_ROWS_BYTES },
  });
}

/** Where record `record` starts in `bytes` (records end at a line feed outside double quotes); -1 past the end. */
function skipRecords(bytes: Buffer, records: number): number {
  let at = 0;
  let inQuotes = false;
  let left = records;
  const quoted = bytes.indexOf(0x22) !== -1;
  while (left > 0) {
    if (!quoted) {
      const feed = bytes.indexOf(0x0a, at);
      if (feed === -1) return -1;
      at = feed + 1;
      left -= 1;
      continue;
    }
    if (at >= bytes.length) return -1;
    const code = bytes[at];
    if (code === 0x22) inQuotes = !inQuotes;
    else if (code === 0x0a && !inQuotes) left -= 1;
    at += 1;
  }
  return at;
}

type CsvParse = typeof import('csv-parse/sync').parse;

/** The first `records` records of `text`; a record that cannot be parsed is the file's fault (422). */
function parseRecords(parse: CsvParse, text: string, delimiter: string, records: number): string[][] {
  try {
    return parseText(parse, text, delimiter, records);
  } catch (error) {
    throw new AppError(
      'invalid_file',
      `These rows cannot be read as ${delimiter === ',' ? 'CSV' : 'TSV'}: ${(error as Error).message}`,
    );
  }
}

function parseText(parse: CsvParse, text: string, delimiter: string, records: number): string[][] {
  return parse(text, {
    delimiter,
    bom: true,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
    // An empty line is a record, as the row index counts it.
    skip_empty_lines: false,
    to: records,
  }) as string[][];
}

async function delimitedRows(
  file: TableFile,
  readRange: ReadRange,
  first: number,
  count: number,
  delimiter: string,
): Promise<Omit<TableRows, 'bytesRead'>> {
  const { parse } = await import('csv-parse/sync');
  const index = file.rowIndex;
  // Record 0 is the header; row r is record r + 1.
  const firstRecord = first + 1;
  if (!index || index.entries.length === 0 || index.entries[0]?.[0] !== 1) {
    // No index (profiling was off at upload): from the start, within UNINDEXED_BYTES.
    const length = Math.min(file.size, UNINDEXED_BYTES);
    const bytes = await readRange(0, length);
    const complete = length === file.size;
    const text = bytes.toString('utf8', 0, complete ? bytes.length : bytes.lastIndexOf(0x0a) + 1);
    const records = parseRecords(parse, text, delimiter, firstRecord + count);
    if (records.length <= firstRecord && !complete) {
      throw new AppError(
        'rows_unavailable',
        `This file has no row index (it was uploaded with profiling off), and row ${first} is not within its first ${UNINDEXED_BYTES} bytes.`,
      );
    }
    return {
      columns: records[0] ?? [],
      rows: typedRows(records.slice(firstRecord, firstRecord + count)),
      total: complete ? Math.max(0, records.length - 1) : null,
    };
  }
  const total = Math.max(0, index.records - 1);
  const headerEnd = index.entries[0]?.[1] ?? 0;
  const headerOf = async () => parseRecords(parse, (await readRange(0, headerEnd)).toString('utf8'), delimiter, 1)[0] ?? [];
  const last = Math.min(total, first + count);
  if (first >= last) return { columns: await headerOf(), rows: [], total };
  const from = segmentOf(index, firstRecord, file.size);
  const to = segmentOf(index, last, file.size);
  if (to.end - from.start > MAX_ROWS_BYTES) throw tooLarge();
  // The header and the rows' segment are two reads side by side, not one after the other.
  const [header, bytes] = await Promise.all([headerOf(), readRange(from.start, to.end)]);
  const start = skipRecords(bytes, firstRecord - from.record);
  if (start === -1) throw new AppError('invalid_file', 'The file is shorter than its row index says.');
  const records = parseRecords(parse, bytes.toString('utf8', start), delimiter, last - first);
  return { columns: header, rows: typedRows(records), total };
}

async function npyRows(size: number, readRange: ReadRange, first: number, count: number): Promise<Omit<TableRows, 'bytesRead'>> {
  const head = await readRange(0, Math.min(size, NPY_HEADER_MAX_BYTES));
  const header = parseNpyHeader(head);
  if (typeof header === 'string') {
    throw new AppError('invalid_file', `Not a SHAP matrix: ${header === 'more' ? 'its header is incomplete.' : header}`);
  }
  const rowBytes = header.columns * header.itemSize;
  if (header.dataStart + header.rows * rowBytes !== size) {
    throw new AppError(
      'invalid_file',
      `Not a SHAP matrix: its header declares ${header.rows} × ${header.columns} values, which the file's ${size} bytes do not hold.`,
    );
  }
  const columns = Array.from({ length: header.columns }, (_, column) => String(column));
  const last = Math.min(header.rows, first + count);
  if (first >= last) return { columns, rows: [], total: header.rows };
  if ((last - first) * rowBytes > MAX_ROWS_BYTES) throw tooLarge();
  const bytes = await readRange(header.dataStart + first * rowBytes, header.dataStart + last * rowBytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows: unknown[][] = [];
  for (let row = 0; row < last - first; row += 1) {
    const values: unknown[] = new Array(header.columns);
    for (let column = 0; column < header.columns; column += 1) {
      const at = row * rowBytes + column * header.itemSize;
      const value = header.itemSize === 8 ? view.getFloat64(at, true) : view.getFloat32(at, true);
      values[column] = Number.isFinite(value) ? value : null;
    }
    rows.push(values);
  }
  return { columns, rows, total: header.rows };
}
