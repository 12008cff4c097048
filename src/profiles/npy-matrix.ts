/**
 * A NumPy `.npy` SHAP matrix (2-D, C order, little-endian float32 or float64) profiled as it
 * streams: per column count, sum, sum of |value|, min and max, in one pass with a fixed amount
 * of memory (a few numbers per tracked column). What the header declares is checked against
 * the bytes that arrive: a shape the data does not fill, or data beyond it, is no matrix.
 * Columns are named by position ("0", "1", …); the database names them from the explanation's
 * `features` or the dataset version's columns (supabase/sql/35_importances.sql).
 */
import type { ColumnProfile, DatasetProfile } from './profile.ts';
import { NotProfiled } from './profile-feed.ts';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const MAX_HEADER_BYTES = 64 * 1024;
/** Values are summed in batches of about this many bytes (the column-at-a-time loop is fastest on long runs). */
const BATCH_BYTES = 1024 * 1024;

export interface NpyHeader {
  itemSize: 4 | 8;
  rows: number;
  columns: number;
}
type Header = NpyHeader;

/** The bytes a .npy header may take at most, with its magic and length. */
export const NPY_HEADER_MAX_BYTES = MAX_HEADER_BYTES + 12;

/**
 * A .npy header from the file's first bytes: its matrix (2-D, C order, little-endian float32 or
 * float64) and where the values start; 'more' when `head` ends before the header does; else why it is no matrix.
 */
export function parseNpyHeader(head: Buffer): (NpyHeader & { dataStart: number }) | 'more' | string {
  if (head.length < 10) return 'more';
  if (!head.subarray(0, 6).equals(MAGIC)) return 'it does not start with the .npy magic bytes.';
  const major = head[6];
  const lengthBytes = major === 1 ? 2 : major === 2 || major === 3 ? 4 : 0;
  if (lengthBytes === 0) return `.npy format version ${major} is not known.`;
  if (head.length < 8 + lengthBytes) return 'more';
  const headerLength = lengthBytes === 2 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES) return `its header declares ${headerLength} bytes.`;
  const start = 8 + lengthBytes;
  if (head.length < start + headerLength) return 'more';
  const text = head.subarray(start, start + headerLength).toString('latin1');
  const descr = /'descr'\s*:\s*'([<|=]?)(f[48])'/.exec(text);
  if (!descr) return "its values are not little-endian float32 or float64 ('<f4', '<f8').";
  if (!/'fortran_order'\s*:\s*False/.test(text)) return 'it is in Fortran order (rows must be contiguous).';
  const shape = /'shape'\s*:\s*\(\s*(\d{1,15})\s*,\s*(\d{1,15})\s*,?\s*\)/.exec(text);
  if (!shape) return 'its shape is not 2-D (rows, features).';
  const rows = Number(shape[1]);
  const columns = Number(shape[2]);
  if (columns < 1 || !Number.isSafeInteger(rows * columns * 8)) return 'its shape is not a matrix of features.';
  return { itemSize: descr[2] === 'f4' ? 4 : 8, rows, columns, dataStart: start + headerLength };
}

export class NpyMatrix {
  readonly #maxColumns: number;
  #head: Buffer = Buffer.alloc(0);
  #header: Header | undefined;
  #failure: string | undefined;
  /**
   * Bytes waiting to be summed, copied out of the chunks (a chunk's memory is the upload's: it
   * may be reused once this call returns). Summed when full, so the loop runs long.
   */
  #batch: Buffer = Buffer.alloc(0);
  #fill = 0;
  /** Values seen so far (all columns). */
  #values = 0;
  #count!: Float64Array;
  #sum!: Float64Array;
  #absSum!: Float64Array;
  #min!: Float64Array;
  #max!: Float64Array;
  #nans!: Float64Array;

  constructor(maxColumns: number) {
    this.#maxColumns = maxColumns;
  }

  observe(chunk: Buffer): void {
    if (this.#failure !== undefined) return;
    if (!this.#header) {
      this.#head = Buffer.concat([this.#head, chunk]);
      const parsed = this.#parseHeader();
      if (!parsed) return;
      chunk = parsed.rest;
    }
    this.#take(chunk);
  }

  #take(chunk: Buffer): void {
    for (let offset = 0; offset < chunk.length && this.#failure === undefined; ) {
      const n = Math.min(chunk.length - offset, this.#batch.length - this.#fill);
      chunk.copy(this.#batch, this.#fill, offset, offset + n);
      this.#fill += n;
      offset += n;
      if (this.#fill === this.#batch.length) this.#sumBatch();
    }
  }

  result(): DatasetProfile {
    if (this.#header && this.#failure === undefined) this.#sumBatch();
    if (this.#failure !== undefined) throw new NotProfiled(`Not a SHAP matrix: ${this.#failure}`);
    const header = this.#header;
    if (!header) throw new NotProfiled('Not a SHAP matrix: the .npy header is incomplete.');
    const expected = header.rows * header.columns;
    if (this.#values !== expected || this.#fill > 0) {
      throw new NotProfiled(
        `Not a SHAP matrix: its header declares ${header.rows} × ${header.columns} values; the file holds ${this.#values}.`,
      );
    }
    const tracked = Math.min(header.columns, this.#maxColumns);
    const columns: ColumnProfile[] = Array.from({ length: tracked }, (_, index) => {
      const count = this.#count[index] ?? 0;
      return {
        name: String(index),
        type: 'number',
        nulls: this.#nans[index] ?? 0,
        min: count > 0 ? (this.#min[index] ?? null) : null,
        max: count > 0 ? (this.#max[index] ?? null) : null,
        mean: count > 0 ? (this.#sum[index] ?? 0) / count : null,
        meanAbs: count > 0 ? (this.#absSum[index] ?? 0) / count : null,
        top: null,
      };
    });
    return {
      format: 'npy',
      status: 'complete',
      rows: header.rows,
      profiledRows: header.rows,
      columnCount: header.columns,
      columns,
      untrackedColumns: header.columns - tracked,
      topValues: 'approximate',
      problems: [],
      problemCount: 0,
    };
  }

  #fail(why: string): undefined {
    this.#failure = why;
    this.#head = Buffer.alloc(0);
    return undefined;
  }

  #parseHeader(): { rest: Buffer } | undefined {
    const parsed = parseNpyHeader(this.#head);
    if (parsed === 'more') return undefined;
    if (typeof parsed === 'string') return this.#fail(parsed);
    const { dataStart, ...header } = parsed;
    this.#header = header;
    const tracked = Math.min(header.columns, this.#maxColumns);
    this.#count = new Float64Array(tracked);
    this.#sum = new Float64Array(tracked);
    this.#absSum = new Float64Array(tracked);
    this.#min = new Float64Array(tracked).fill(Number.POSITIVE_INFINITY);
    this.#max = new Float64Array(tracked).fill(Number.NEGATIVE_INFINITY);
    this.#nans = new Float64Array(tracked);
    // Whole values only, so that a batch's bytes are a typed array's (allocated alone: aligned).
    this.#batch = Buffer.alloc(BATCH_BYTES - (BATCH_BYTES % header.itemSize));
    const rest = this.#head.subarray(dataStart);
    this.#head = Buffer.alloc(0);
    return { rest };
  }

  #sumBatch(): void {
    const header = this.#header as Header;
    const bytes = this.#batch;
    const { itemSize, columns } = header;
    const whole = this.#fill - (this.#fill % itemSize);
    const values =
      itemSize === 8
        ? new Float64Array(bytes.buffer, bytes.byteOffset, whole / 8)
        : new Float32Array(bytes.buffer, bytes.byteOffset, whole / 4);
    const tracked = this.#count.length;
    const count = this.#count;
    const sum = this.#sum;
    const absSum = this.#absSum;
    const min = this.#min;
    const max = this.#max;
    const nans = this.#nans;
    // Typed arrays indexed directly, no per-value modulo.
    const add = (column: number, value: number) => {
      if (Number.isNaN(value)) {
        nans[column] = (nans[column] as number) + 1;
        return;
      }
      count[column] = (count[column] as number) + 1;
      sum[column] = (sum[column] as number) + value;
      absSum[column] = (absSum[column] as number) + (value < 0 ? -value : value);
      if (value < (min[column] as number)) min[column] = value;
      if (value > (max[column] as number)) max[column] = value;
    };
    let index = 0;
    let column = this.#values % columns;
    // The rest of a row an earlier chunk began.
    if (column !== 0) {
      for (; index < values.length && column < columns; index += 1, column += 1) {
        if (column < tracked) add(column, values[index] as number);
      }
      if (column === columns) column = 0;
    }
    // Whole rows, a column at a time: its statistics stay in registers while its values are read
    // with a stride (the chunk is in the CPU's cache); ~1 ns a value.
    const wholeRows = Math.floor((values.length - index) / columns);
    for (let c = 0; c < tracked; c += 1) {
      let n = 0;
      let total = 0;
      let absolute = 0;
      let low = min[c] as number;
      let high = max[c] as number;
      let missing = 0;
      for (let r = 0, at = index + c; r < wholeRows; r += 1, at += columns) {
        const value = values[at] as number;
        if (Number.isNaN(value)) {
          missing += 1;
          continue;
        }
        n += 1;
        total += value;
        absolute += value < 0 ? -value : value;
        if (value < low) low = value;
        if (value > high) high = value;
      }
      count[c] = (count[c] as number) + n;
      sum[c] = (sum[c] as number) + total;
      absSum[c] = (absSum[c] as number) + absolute;
      min[c] = low;
      max[c] = high;
      nans[c] = (nans[c] as number) + missing;
    }
    index += wholeRows * columns;
    // The start of a row the next chunk ends.
    for (let c = 0; index < values.length; index += 1, c += 1) {
      if (c < tracked) add(c, values[index] as number);
    }
    this.#values += values.length;
    // A value cut by the chunk's end waits at the start of the batch for its other bytes.
    bytes.copy(bytes, 0, whole, this.#fill);
    this.#fill -= whole;
    if (this.#values > header.rows * columns) this.#fail('it holds more values than its header declares.');
  }
}
