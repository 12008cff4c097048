/**
 * What the Parquet reading thread does (parquet-worker.ts runs it; tests call it directly): a
 * file's preview rows or its footer profile, over an AsyncBuffer of Range reads. Everything the
 * file declares is checked before it sizes anything (parquet-bounds.ts); the cells answered obey
 * the JSON rules (preview-cells.ts), so they can be sent and serialized safely.
 */
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { AppError } from '../errors.ts';
import { checkFooter, checkMetadata, chunkRange, invalidFile } from './parquet-bounds.ts';
import { profileOfMetadata } from './parquet-profile.ts';
import { boundedCell } from './preview-cells.ts';
import type { DatasetProfile, Preview } from './profile.ts';

export type ParquetJob =
  | { kind: 'preview'; rows: number }
  | { kind: 'profile'; maxColumns: number }
  | { kind: 'matrix'; maxColumns: number }
  /** `key`: the object's key, which names one immutable content: its footer may be kept (FOOTER_CACHE_BYTES). */
  | { kind: 'rows'; first: number; count: number; key: string };
/** Rows at any depth (table-rows.ts): cells within the JSON rules; `total`: the rows the file holds. */
export interface ParquetRows {
  columns: string[];
  rows: unknown[][];
  total: number;
}
export type ParquetResult = Omit<Preview, 'bytesRead'> | DatasetProfile | ParquetRows;

/** The last bytes hyparquet reads first: they hold the footer of most files. */
const TAIL_BYTES = 64 * 1024;

/**
 * Footers of files whose rows were read, by object key (keys are never reused for other bytes, so
 * a kept footer is never stale): a frontend paging through an explanation's rows reads and parses
 * its footer once per thread, not per page. Bounded by the footers' own sizes (a parsed footer
 * takes many times its bytes of heap; the thread's heap limit holds the rest).
 */
const FOOTER_CACHE_BYTES = 1024 * 1024;
const footers = new Map<string, { metadata: FileMetaData; bytes: number }>();

async function cachedFooterOf(file: AsyncBuffer, key: string): Promise<FileMetaData> {
  const id = `${key}\u0000${file.byteLength}`;
  const kept = footers.get(id);
  if (kept) {
    footers.delete(id);
    footers.set(id, kept); // most recently used last
    return kept.metadata;
  }
  const metadata = await footerOf(file);
  const bytes = Number(metadata.metadata_length);
  if (bytes <= FOOTER_CACHE_BYTES) {
    footers.set(id, { metadata, bytes });
    let total = 0;
    for (const entry of footers.values()) total += entry.bytes;
    for (const [oldest, entry] of footers) {
      if (total <= FOOTER_CACHE_BYTES) break;
      footers.delete(oldest);
      total -= entry.bytes;
    }
  }
  return metadata;
}

export async function runParquetJob(job: ParquetJob, file: AsyncBuffer): Promise<ParquetResult> {
  const metadata = job.kind === 'rows' ? await cachedFooterOf(file, job.key) : await footerOf(file);
  if (job.kind === 'profile') return profileOfMetadata(metadata, job.maxColumns);
  if (job.kind === 'matrix') {
    const { matrixOf } = await import('./parquet-matrix.ts');
    return matrixOf(file, metadata, job.maxColumns);
  }
  if (job.kind === 'rows') return rowsOf(file, metadata, job.first, job.count);
  return previewOf(file, metadata, job.rows);
}

async function rowsOf(file: AsyncBuffer, metadata: FileMetaData, first: number, count: number): Promise<ParquetRows> {
  const { rowsOfFlatFile } = await import('./parquet-flat-rows.ts');
  const columns = topLevelColumns(metadata);
  // The rows the row groups hold (what the footer's num_rows says is not what is read).
  const total = metadata.row_groups.reduce((sum, group) => sum + Number(group.num_rows), 0);
  const rows = await rowsOfFlatFile(file, metadata, first, Math.max(0, Math.min(count, total - first)));
  if (rows === undefined) {
    throw new AppError(
      'rows_unavailable',
      'This Parquet file has nested columns (lists, maps or structs): its rows are not read at depth.',
    );
  }
  return { columns, rows: rows.map((row) => row.map((cell) => jsonValue(boundedCell(cell).value))), total };
}

function topLevelColumns(metadata: FileMetaData): string[] {
  return metadata.schema
    .slice(1)
    .filter((_element, index, all) => isTopLevel(all, index))
    .map((element) => element.name);
}

/** The footer, parsed only once its length and place are known to be sane. */
async function footerOf(file: AsyncBuffer): Promise<FileMetaData> {
  const size = file.byteLength;
  const tailLength = Math.min(size, TAIL_BYTES);
  const tail = await file.slice(size - tailLength, size);
  checkFooter(new DataView(tail), size);
  const { parquetMetadataAsync } = await import('hyparquet');
  // The tail is served again from what was read (hyparquet starts with the same range).
  const reread: AsyncBuffer = {
    byteLength: size,
    slice: (start, end = size) =>
      start >= size - tailLength ? tail.slice(start - (size - tailLength), end - (size - tailLength)) : file.slice(start, end),
  };
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(reread, { initialFetchSize: TAIL_BYTES });
  } catch (error) {
    // A read the main side refused (storage down, the byte cap) stays what it was: only a footer
    // that does not parse is the file's fault.
    if ((error as { remote?: unknown }).remote) throw error;
    throw invalidFile(`its footer cannot be parsed (${(error as Error).message})`);
  }
  checkMetadata(metadata);
  return metadata;
}

async function previewOf(file: AsyncBuffer, metadata: FileMetaData, wanted: number): Promise<Omit<Preview, 'bytesRead'>> {
  const { parquetReadObjects } = await import('hyparquet');
  const { firstRowsOfFlatFile } = await import('./parquet-flat-rows.ts');
  const columns = topLevelColumns(metadata);
  let rows = await firstRowsOfFlatFile(file, metadata, wanted);
  if (rows === undefined) {
    // Nested columns: hyparquet's own reader, over chunks whose place
    // was checked (its page headers are decoded on this thread, under its heap limit and deadline).
    for (const group of metadata.row_groups) for (const chunk of group.columns) chunkRange(chunk, file.byteLength);
    rows = (await parquetReadObjects({ file, metadata, rowStart: 0, rowEnd: wanted, useOffsetIndex: true })).map((row) =>
      columns.map((column) => row[column]),
    );
  }
  let truncatedCells = 0;
  const answered = rows.map((row) =>
    row.map((cell) => {
      const { value, replaced } = boundedCell(cell);
      if (replaced) truncatedCells += 1;
      return jsonValue(value);
    }),
  );
  return {
    format: 'parquet',
    columns,
    rows: answered,
    truncated: false,
    ...(truncatedCells > 0 ? { truncatedCells } : {}),
  };
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

/** A cell as JSON can carry it (bounded first: this recursion is at most MAX_JSON_DEPTH deep). */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, jsonValue(inner)]));
  }
  return value ?? null;
}
