/**
 * Decides, chunk by chunk, what of one upload the profiling thread gets. Profiling must not set
 * an upload's pace: on a machine short of CPU (two cores shared by the upload's parsing and
 * hashing, the object store, the client) a full profile of a wide CSV costs about as much CPU as
 * the upload itself. So once a file's first WHOLE_BYTES have been profiled, a chunk that finds
 * the copy budget full is skipped instead of waited for; the profiler resumes at the next record
 * start once there is room again. Every row is still counted (record-counter.ts), and the profile
 * says how many rows its column statistics describe (`profiledRows`).
 *
 * Below WHOLE_BYTES, and before the header record has ended, uploads wait for the profiler as
 * before: files of that size are always profiled whole, whatever the load, so a profile of a
 * small file never depends on how busy the server was.
 */
import { RecordCounter } from './record-counter.ts';
import type { RowIndex } from './row-index.ts';

export const WHOLE_BYTES = 16 * 1024 * 1024;
/**
 * A CSV or TSV whose header has not ended within its first 1 MiB is not a table (a binary file
 * under a .csv name, most often): it is stored, not profiled. Without this, each such upload
 * kept up to 4 Mi characters of one endless header in the profiler (100 at once: ~230 MiB).
 */
export const HEADER_BYTES = 1024 * 1024;
const CR = 0x0d;
const LF = 0x0a;

/** A file that turned out not to be profiled, and why (its upload goes on). */
export class NotProfiled extends Error {
  override name = 'NotProfiled';
}

export interface FeedStep {
  /** Line feeds skipped since the last bytes sent: tell the profiler before `send`. */
  skipLines?: number;
  /** Bytes for the profiler (a view of the chunk; the caller copies it), or null. */
  send: Buffer | null;
}

export class ProfileFeed {
  readonly #counter: RecordCounter;
  readonly #wholeBytes: number;
  #sent = 0;
  #skipping = false;
  #skippedLines = 0;
  #skippedRecords = 0;
  /** The last bytes sent ended in a CR outside quotes. */
  #endsInCr = false;

  /** CSV and TSV records end at a CR too (JSON lines only at a LF). */
  readonly #crEnds: boolean;

  constructor(format: 'csv' | 'tsv' | 'jsonl', wholeBytes = WHOLE_BYTES) {
    this.#counter = new RecordCounter(format);
    this.#crEnds = format !== 'jsonl';
    this.#wholeBytes = wholeBytes;
  }

  /** Why this file is not profiled after all (see HEADER_BYTES), once that is known. */
  get notATable(): string | undefined {
    if (!this.#crEnds || this.#sent < HEADER_BYTES || this.#counter.recordsSeen > 0) return undefined;
    return 'Not profiled: no line ends in its first 1 MiB (outside quotes), so it has no header row; stored as it is.';
  }

  /** Whether a chunk that finds no room may be skipped rather than waited for. */
  get mayFallBehind(): boolean {
    return this.#sent >= this.#wholeBytes && this.#counter.recordsSeen > 0;
  }

  /** The next chunk of the file; `room`: the copy budget can take it now. */
  next(chunk: Buffer, room: boolean): FeedStep {
    if (!this.#skipping) {
      if (room || !this.mayFallBehind) {
        this.#counter.count(chunk);
        this.#sent += chunk.length;
        this.#endsInCr = this.#crEnds && chunk.at(-1) === CR && !this.#counter.inQuotes;
        return { send: chunk };
      }
      this.#skipping = true;
      this.#skippedLines = 0;
      // The profiler ended a record at that CR already; its LF, first of the skipped bytes,
      // ends no other.
      if (this.#endsInCr && chunk[0] === LF) this.#skippedRecords -= 1;
    }
    if (!room) {
      const counted = this.#counter.count(chunk);
      this.#skippedRecords += counted.records;
      this.#skippedLines += counted.lines;
      return { send: null };
    }
    // Room again: resume where the next record starts.
    const counted = this.#counter.toNextRecord(chunk);
    this.#skippedRecords += counted.records;
    this.#skippedLines += counted.lines;
    if (counted.next === -1) return { send: null };
    const rest = chunk.subarray(counted.next);
    this.#counter.count(rest);
    this.#sent += rest.length;
    this.#endsInCr = this.#crEnds && rest.at(-1) === CR && !this.#counter.inQuotes;
    this.#skipping = false;
    return { skipLines: this.#skippedLines, send: rest };
  }

  /** The file's sparse row index (row-index.ts), once it ended. */
  rowIndex(): RowIndex {
    return this.#counter.rowIndex();
  }

  /**
   * The file ended. `skippedRecords`: rows the profiler never saw (a last record without a
   * final line feed included); `dropPartial`: the profiler holds the start of a record whose end
   * was skipped, to be dropped before it finishes.
   */
  end(): { skippedRecords: number; dropPartial: boolean } {
    if (!this.#skipping) return { skippedRecords: this.#skippedRecords, dropPartial: false };
    return { skippedRecords: this.#skippedRecords + (this.#counter.open ? 1 : 0), dropPartial: true };
  }
}
