/**
 * Previews: the first rows of a dataset file, read with Range requests, never the whole file.
 * CSV, TSV and JSON lines read from the start in growing ranges until enough rows arrived (at
 * most PREVIEW_TEXT_BYTES); Parquet reads its footer and the first row group's column chunks
 * (at most PREVIEW_PARQUET_BYTES; past it 422 preview_too_large) on a Parquet reading thread
 * (parquet-reading.ts), so that a hostile file costs only that thread.
 */
import { AppError } from '../errors.ts';
import { extensionOf } from '../fields/file-types.ts';
import { typedRows } from './column-stats.ts';
import type { ParquetReading } from './parquet-reading.ts';
import { boundedCell, nestingDepth, PARSE_MAX_DEPTH } from './preview-cells.ts';
import type { Preview } from './profile.ts';

export const PREVIEW_MAX_ROWS = 500;
export const PREVIEW_TEXT_BYTES = 4 * 1024 * 1024;
export const PREVIEW_PARQUET_BYTES = 32 * 1024 * 1024;
const FIRST_READ = 256 * 1024;

type ReadRange = (start: number, end: number) => Promise<Buffer>;
type CsvParse = typeof import('csv-parse/sync').parse;

export async function previewOf(
  file: { path: string; size: number },
  readRange: ReadRange,
  rows: number,
  parquet: ParquetReading,
): Promise<Preview> {
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
      return parquetPreview(file.size, readRange, rows, parquet);
    default:
      throw new AppError('preview_unavailable', `.${extension} files have no preview; CSV, TSV, JSON lines and Parquet do.`);
  }
}

type Parsed = { columns: string[]; rows: unknown[][]; skippedLines?: number };

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
      const { skippedLines, ...table } = parsed;
      return {
        format,
        ...table,
        ...boundedRows(parsed.rows.slice(0, wanted)),
        truncated: parsed.rows.length < wanted && !complete,
        bytesRead,
        ...(skippedLines ? { skippedLines } : {}),
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
  // Typed as the profile types the column (numbers, booleans, nulls), from the rows shown.
  return { columns: header, rows: typedRows(rows.slice(0, wanted)) };
}

function jsonLineRows(text: string, complete: boolean, wanted: number): Parsed {
  const columns: string[] = [];
  const seen = new Set<string>();
  const objects: Array<Record<string, unknown>> = [];
  let skippedLines = 0;
  for (const line of wholeLines(text, complete).split('\n')) {
    if (objects.length >= wanted) break;
    if (line.trim() === '') continue;
    if (nestingDepth(line) > PARSE_MAX_DEPTH) {
      skippedLines += 1;
      continue;
    }
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
  return { columns, rows: objects.map((record) => columns.map((column) => record[column] ?? null)), skippedLines };
}

async function parquetPreview(size: number, readRange: ReadRange, wanted: number, parquet: ParquetReading): Promise<Preview> {
  const tooLarge = () =>
    new AppError(
      'preview_too_large',
      `A preview of this file would read more than ${PREVIEW_PARQUET_BYTES} bytes; download it instead.`,
      { details: { maxBytes: PREVIEW_PARQUET_BYTES } },
    );
  const { result, bytesRead } = await parquet.preview(size, readRange, wanted, PREVIEW_PARQUET_BYTES, tooLarge);
  return { ...(result as Omit<Preview, 'bytesRead'>), bytesRead };
}

/** The rows with every cell within the JSON rules (preview-cells.ts), and how many were replaced. */
function boundedRows(rows: unknown[][]): { rows: unknown[][]; truncatedCells?: number } {
  let truncatedCells = 0;
  const bounded = rows.map((row) =>
    row.map((cell) => {
      const { value, replaced } = boundedCell(cell);
      if (replaced) truncatedCells += 1;
      return value;
    }),
  );
  return truncatedCells > 0 ? { rows: bounded, truncatedCells } : { rows: bounded };
}
