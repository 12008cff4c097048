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

interface Header {
  itemSize: 4 | 8;
  rows: number;
  columns: number;
}

export class NpyMatrix {
  readonly #maxColumns: number;
  #head: Buffer = Buffer.alloc(0);
  #header: Header | undefined;
  #failure: string | undefined;
  #carry: Buffer = Buffer.alloc(0);
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
    this.#data(chunk);
  }

  result(): DatasetProfile {
    if (this.#failure !== undefined) throw new NotProfiled(`Not a SHAP matrix: ${this.#failure}`);
    const header = this.#header;
    if (!header) throw new NotProfiled('Not a SHAP matrix: the .npy header is incomplete.');
    const expected = header.rows * header.columns;
    if (this.#values !== expected || this.#carry.length > 0) {
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
    const head = this.#head;
    if (head.length < 10) return undefined;
    if (!head.subarray(0, 6).equals(MAGIC)) return this.#fail('it does not start with the .npy magic bytes.');
    const major = head[6];
    const lengthBytes = major === 1 ? 2 : major === 2 || major === 3 ? 4 : 0;
    if (lengthBytes === 0) return this.#fail(`.npy format version ${major} is not known.`);
    if (head.length < 8 + lengthBytes) return undefined;
    const headerLength = lengthBytes === 2 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    if (headerLength > MAX_HEADER_BYTES) return this.#fail(`its header declares ${headerLength} bytes.`);
    const start = 8 + lengthBytes;
    if (head.length < start + headerLength) {
      if (head.length > start + MAX_HEADER_BYTES) return this.#fail('its header does not end.');
      return undefined;
    }
    const text = head.subarray(start, start + headerLength).toString('latin1');
    const descr = /'descr'\s*:\s*'([<|=]?)(f[48])'/.exec(text);
    if (!descr || descr[1] === '>') return this.#fail("its values are not little-endian float32 or float64 ('<f4', '<f8').");
    if (!/'fortran_order'\s*:\s*False/.test(text)) return this.#fail('it is in Fortran order (rows must be contiguous).');
    const shape = /'shape'\s*:\s*\(\s*(\d{1,15})\s*,\s*(\d{1,15})\s*,?\s*\)/.exec(text);
    if (!shape) return this.#fail('its shape is not 2-D (rows, features).');
    const rows = Number(shape[1]);
    const columns = Number(shape[2]);
    if (columns < 1 || !Number.isSafeInteger(rows * columns)) return this.#fail('its shape is not a matrix of features.');
    this.#header = { itemSize: descr[2] === 'f4' ? 4 : 8, rows, columns };
    const tracked = Math.min(columns, this.#maxColumns);
    this.#count = new Float64Array(tracked);
    this.#sum = new Float64Array(tracked);
    this.#absSum = new Float64Array(tracked);
    this.#min = new Float64Array(tracked).fill(Number.POSITIVE_INFINITY);
    this.#max = new Float64Array(tracked).fill(Number.NEGATIVE_INFINITY);
    this.#nans = new Float64Array(tracked);
    const rest = head.subarray(start + headerLength);
    this.#head = Buffer.alloc(0);
    return { rest };
  }

  #data(chunk: Buffer): void {
    const header = this.#header as Header;
    const bytes = this.#carry.length > 0 ? Buffer.concat([this.#carry, chunk]) : chunk;
    const { itemSize, columns } = header;
    const whole = bytes.length - (bytes.length % itemSize);
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    const tracked = this.#count.length;
    let column = this.#values % columns;
    for (let offset = 0; offset < whole; offset += itemSize) {
      if (column < tracked) {
        const value = itemSize === 8 ? view.getFloat64(offset, true) : view.getFloat32(offset, true);
        if (Number.isNaN(value)) {
          (this.#nans[column] as number) += 1;
        } else {
          (this.#count[column] as number) += 1;
          (this.#sum[column] as number) += value;
          (this.#absSum[column] as number) += Math.abs(value);
          if (value < (this.#min[column] as number)) this.#min[column] = value;
          if (value > (this.#max[column] as number)) this.#max[column] = value;
        }
      }
      column += 1;
      if (column === columns) column = 0;
    }
    this.#values += whole / itemSize;
    this.#carry = Buffer.from(bytes.subarray(whole));
    if (this.#values > header.rows * columns) this.#fail('it holds more values than its header declares.');
  }
}
