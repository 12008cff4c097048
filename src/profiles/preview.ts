/**
 * Previews: the first rows of a dataset file, read with Range requests, never the whole file.
 * CSV, TSV and JSON lines read from the start in growing ranges until enough rows arrived (at
 * most PREVIEW_TEXT_BYTES); Parquet reads its footer and the first row group's column chunks
 * (at most PREVIEW_PARQUET_BYTES; past it 422 preview_too_large).
 */
import { AppError } from '../errors.ts';
import { extensionOf } from '../fields/file-types.ts';
import { rangeReader } from './parquet-profile.ts';
import type { Preview } from './profile.ts';

export const PREVIEW_MAX_ROWS = 500;
export const PREVIEW_TEXT_BYTES = 4 * 1024 * 1024;
export const PREVIEW_PARQUET_BYTES = 32 * 1024 * 1024;
const FIRST_READ = 256 * 1024;

type ReadRange = (start: number, end: number) => Promise<Buffer>;
type CsvParse = typeof import('csv-parse/sync').parse;

export async function previewOf(file: { path: string; size: number }, readRange: ReadRange, rows: number): Promise<Preview> {
  const extension = extensionOf(file.path);
  switch (extension) {
    case 'csv':
    case 'tsv': {
      // Loaded with the first CSV preview: an idle server does not hold the parser.
      const { parse } = await import('csv-parse/sync');
      return textPreview(
        file.size,
        readRange,
        rows,
        (text, complete) => delimitedRows(parse, text, complete, extension, rows),
        extension,
      );
    }
    case 'jsonl':
    case 'ndjson':
      return textPreview(file.size, readRange, rows, (text, complete) => jsonLineRows(text, complete, rows), 'jsonl');
    case 'parquet':
      return parquetPreview(file.size, readRange, rows);
    default:
      throw new AppError('preview_unavailable', `.${extension} files have no preview; CSV, TSV, JSON lines and Parquet do.`);
  }
}

type Parsed = { columns: string[]; rows: unknown[][] };

async function textPreview(
  size: number,
  readRange: ReadRange,
  wanted: number,
  rowsOf: (text: string, complete: boolean) => Parsed,
  format: Preview['format'],
): Promise<Preview> {
  let length = Math.min(size, FIRST_READ);
  let bytes = await readRange(0, length);
  let bytesRead = bytes.length;
  for (;;) {
    const complete = length >= size;
    const parsed = rowsOf(new TextDecoder('utf-8').decode(bytes), complete);
    if (parsed.rows.length >= wanted || complete || length >= PREVIEW_TEXT_BYTES) {
      return {
        format,
        ...parsed,
        rows: parsed.rows.slice(0, wanted),
        truncated: parsed.rows.length < wanted && !complete,
        bytesRead,
      };
    }
    const next = Math.min(size, PREVIEW_TEXT_BYTES, length * 4);
    const more = await readRange(length, next);
    bytesRead += more.length;
    bytes = Buffer.concat([bytes, more]);
    length = next;
  }
}

/** Whole lines only: a range that ends mid-line drops that line. */
function wholeLines(text: string, complete: boolean): string {
  if (complete) return text;
  const end = text.lastIndexOf('\n');
  return end === -1 ? '' : text.slice(0, end + 1);
}

function delimitedRows(parse: CsvParse, text: string, complete: boolean, format: 'csv' | 'tsv', wanted: number): Parsed {
  const records = parse(wholeLines(text, complete), {
    delimiter: format === 'tsv' ? '\t' : ',',
    bom: true,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    to: wanted + 1,
  }) as string[][];
  const [header = [], ...rows] = records;
  return { columns: header, rows };
}

function jsonLineRows(text: string, complete: boolean, wanted: number): Parsed {
  const columns: string[] = [];
  const seen = new Set<string>();
  const objects: Array<Record<string, unknown>> = [];
  for (const line of wholeLines(text, complete).split('\n')) {
    if (objects.length >= wanted) break;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
    objects.push(record);
  }
  return { columns, rows: objects.map((record) => columns.map((column) => record[column] ?? null)) };
}

async function parquetPreview(size: number, readRange: ReadRange, wanted: number): Promise<Preview> {
  const file = rangeReader(
    readRange,
    size,
    PREVIEW_PARQUET_BYTES,
    () =>
      new AppError(
        'preview_too_large',
        `A preview of this file would read more than ${PREVIEW_PARQUET_BYTES} bytes; download it instead.`,
        {
          details: { maxBytes: PREVIEW_PARQUET_BYTES },
        },
      ),
  );
  try {
    // The readers load with the first preview that needs them: an idle server does not hold them.
    const { parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
    const { firstRowsOfFlatFile } = await import('./parquet-first-rows.ts');
    const metadata = await parquetMetadataAsync(file, { initialFetchSize: 64 * 1024 });
    const columns = metadata.schema
      .slice(1)
      .filter((_element, index, all) => isTopLevel(all, index))
      .map((element) => element.name);
    const rows =
      (await firstRowsOfFlatFile(file, metadata, wanted)) ??
      (await parquetReadObjects({ file, metadata, rowStart: 0, rowEnd: wanted, useOffsetIndex: true })).map((row) =>
        columns.map((column) => row[column]),
      );
    return {
      format: 'parquet',
      columns,
      rows: rows.map((row) => row.map(jsonValue)),
      truncated: false,
      bytesRead: file.bytesRead(),
    };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('preview_unavailable', `The Parquet file could not be read: ${(error as Error).message}`);
  }
}

/** Top-level fields of the flattened schema (index into schema.slice(1)). */
function isTopLevel(elements: ReadonlyArray<{ num_children?: number }>, index: number): boolean {
  let position = 0;
  while (position < elements.length) {
    if (position === index) return true;
    position = skip(elements, position);
  }
  return false;
}

function skip(elements: ReadonlyArray<{ num_children?: number }>, position: number): number {
  let next = position + 1;
  for (let child = 0; child < (elements[position]?.num_children ?? 0); child += 1) next = skip(elements, next);
  return next;
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, jsonValue(inner)]));
  }
  return value ?? null;
}
