/**
 * A sparse row index of a CSV or TSV file: the byte offset where a record starts, about every
 * `stride` bytes, written in the upload pass (record-counter.ts sees every byte on the upload's
 * own thread, including those the profiler skips). With it, row 5,000,000 of a 2 GB file costs
 * one Range read of at most about a stride, not a scan from the start.
 *
 * Records are counted as the counter counts them: a line feed outside double quotes ends one
 * (so an empty line is a record too, as it is a row of a SHAP matrix). Record 0 is the header;
 * the first entry is always where record 1 starts. Entries are thinned (every other one kept,
 * the stride doubled) past MAX_ENTRIES, so a file of any size keeps a bounded index (~100 KB of
 * JSON at most).
 */
import { z } from 'zod';

export const ROW_INDEX_STRIDE = 256 * 1024;
const MAX_ENTRIES = 4096;

export const rowIndexSchema = z.object({
  /** Bytes between entries, about. */
  stride: z.number().int().positive(),
  /** Records in the file, the header included (a last record without a final line feed too). */
  records: z.number().int().nonnegative(),
  /** [record number, byte offset where that record starts], ascending. */
  entries: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
});
export type RowIndex = z.infer<typeof rowIndexSchema>;

export class RowIndexBuilder {
  #stride: number;
  /** The byte offset from which the next record start is recorded. */
  #nextMark = 0;
  #entries: Array<[number, number]> = [];

  constructor(stride = ROW_INDEX_STRIDE) {
    this.#stride = stride;
  }

  /** Whether a record that starts at `offset` is to be recorded (a cheap test, called per record end). */
  wants(offset: number): boolean {
    return offset >= this.#nextMark;
  }

  add(record: number, offset: number): void {
    this.#entries.push([record, offset]);
    this.#nextMark = offset + this.#stride;
    if (this.#entries.length > MAX_ENTRIES) {
      this.#entries = this.#entries.filter((_entry, index) => index % 2 === 0);
      this.#stride *= 2;
      this.#nextMark = (this.#entries.at(-1)?.[1] ?? 0) + this.#stride;
    }
  }

  result(records: number): RowIndex {
    return { stride: this.#stride, records, entries: this.#entries };
  }
}

/**
 * Where to read record `record` from: the entry at or before it (its record number and offset)
 * and the offset of the entry after it (the segment's end; the file's size past the last one).
 * Without an entry at or before it (record 0, the header), from the start of the file.
 */
export function segmentOf(index: RowIndex, record: number, size: number): { record: number; start: number; end: number } {
  const entries = index.entries;
  let low = 0;
  let high = entries.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((entries[middle] as [number, number])[0] <= record) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  const next = entries[found + 1];
  if (found === -1) return { record: 0, start: 0, end: next ? next[1] : size };
  const [first, start] = entries[found] as [number, number];
  return { record: first, start, end: next ? next[1] : size };
}
