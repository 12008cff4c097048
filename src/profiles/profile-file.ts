/**
 * The one place that decides how a dataset file is profiled, for both upload paths: text
 * formats while their bytes stream through the meter (proxied: the upload; direct: the
 * verification read-back), Parquet from its footer once stored, anything else not at all.
 */
import { extensionOf } from '../fields/file-types.ts';
import { NpyMatrix } from './npy-matrix.ts';
import { FOOTER_MAX_BYTES } from './parquet-bounds.ts';
import type { ParquetReading } from './parquet-reading.ts';
import type { DatasetProfile, ProfileRecord, ProfileSummary } from './profile.ts';
import { NotProfiled } from './profile-feed.ts';
import type { ProfilingThread, ThreadProfileJob } from './profile-thread.ts';
import type { RowIndex } from './row-index.ts';

export interface ProfileSettings {
  maxColumns: number;
  /** Where Parquet footers are read (worker threads, bounded). */
  parquet: ParquetReading;
  /** Where text files are profiled as they stream. */
  thread: ProfilingThread;
}

function textFormatOf(path: string): 'csv' | 'tsv' | 'jsonl' | undefined {
  switch (extensionOf(path)) {
    case 'csv':
      return 'csv';
    case 'tsv':
      return 'tsv';
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    default:
      return undefined;
  }
}

/**
 * One file's profiling: `observe` sees every chunk as it streams through the meter and hands a
 * copy to the profiling thread (its promise, when there is one, is the thread's back-pressure);
 * `result` gives the profile once the file is stored. A fault in profiling never fails the
 * upload: the file is stored and its profile says why there is none.
 */
export class FileProfiling {
  readonly #path: string;
  readonly #settings: ProfileSettings;
  readonly #job: ThreadProfileJob | undefined;
  #failure: string | undefined;
  #rowIndex: RowIndex | undefined;

  readonly #matrix: boolean;
  /** An explanation's .npy matrix: profiled on this thread as it streams (a few numbers per column). */
  readonly #npy: NpyMatrix | undefined;

  /** `matrix`: a SHAP matrix (an explanation's): a Parquet file is read whole for its columns' values. */
  constructor(path: string, settings: ProfileSettings, options: { matrix?: boolean } = {}) {
    this.#path = path;
    this.#settings = settings;
    this.#matrix = options.matrix ?? false;
    this.#npy =
      this.#matrix && settings.maxColumns > 0 && extensionOf(path) === 'npy' ? new NpyMatrix(settings.maxColumns) : undefined;
    const format = settings.maxColumns > 0 ? textFormatOf(path) : undefined;
    this.#job = format ? settings.thread.job(format, settings.maxColumns) : undefined;
  }

  readonly observe = (chunk: Buffer): Promise<void> | undefined => {
    this.#npy?.observe(chunk);
    if (!this.#job || this.#failure !== undefined) return undefined;
    try {
      return this.#job.write(chunk);
    } catch (error) {
      this.#failure = (error as Error).message;
      return undefined;
    }
  };

  /** The upload failed: nothing to profile. */
  abandon(): void {
    this.#job?.abandon();
  }

  /** A text file's sparse row index (row-index.ts), once `result` gave its profile. */
  get rowIndex(): RowIndex | undefined {
    return this.#rowIndex;
  }

  async result(size: number, readRange: (start: number, end: number) => Promise<Buffer>): Promise<ProfileRecord> {
    return storable(await this.#result(size, readRange));
  }

  async #result(size: number, readRange: (start: number, end: number) => Promise<Buffer>): Promise<ProfileRecord> {
    if (this.#settings.maxColumns === 0) return { profile: null, reason: 'Profiling is turned off (PROFILE_MAX_COLUMNS=0).' };
    if (this.#failure !== undefined) return { profile: null, reason: `Profiling failed: ${this.#failure}` };
    if (this.#job) {
      try {
        const profile = await this.#job.finish();
        this.#rowIndex = this.#job.rowIndex();
        return { profile };
      } catch (error) {
        if (error instanceof NotProfiled) return { profile: null, reason: error.message };
        return { profile: null, reason: `Profiling failed: ${(error as Error).message}` };
      }
    }
    if (this.#npy) {
      try {
        return { profile: this.#npy.result() };
      } catch (error) {
        return { profile: null, reason: (error as Error).message };
      }
    }
    const extension = extensionOf(this.#path);
    if (extension === 'parquet' && this.#matrix) {
      try {
        const profile = await this.#settings.parquet.matrix(size, readRange, this.#settings.maxColumns);
        return { profile: profile as DatasetProfile };
      } catch (error) {
        return { profile: null, reason: `The Parquet matrix could not be read: ${(error as Error).message}` };
      }
    }
    if (extension === 'parquet') {
      try {
        // The footer, its length and the first bytes hyparquet asks for with it: nothing else.
        const maxBytes = FOOTER_MAX_BYTES + 128 * 1024;
        const profile = await this.#settings.parquet.profile(size, readRange, this.#settings.maxColumns, maxBytes);
        return { profile: profile as DatasetProfile };
      } catch (error) {
        // A hostile or broken file, like any fault in profiling, costs the file its profile, not its upload.
        return { profile: null, reason: `The Parquet footer could not be read: ${(error as Error).message}` };
      }
    }
    return {
      profile: null,
      reason: `.${extension} files are stored as they are; only CSV, TSV, JSON lines and Parquet are profiled.`,
    };
  }
}

/**
 * Text a profile took from the file (column names, frequent values, dates) may hold what a
 * database cannot store (a NUL, half of a surrogate pair): replaced by U+FFFD, so a profile
 * never stands between a file and its upload.
 */
function storable(record: ProfileRecord): ProfileRecord {
  return JSON.parse(
    JSON.stringify(record, (_key, value: unknown) =>
      typeof value === 'string' ? value.toWellFormed().replaceAll('\u0000', '\ufffd') : value,
    ),
  ) as ProfileRecord;
}

export function summaryOf(record: ProfileRecord | null | undefined): ProfileSummary {
  if (!record) return { status: 'none', format: null, rows: null, columns: null, reason: 'Not profiled.' };
  if (!record.profile) return { status: 'none', format: null, rows: null, columns: null, reason: record.reason };
  const { status, format, rows, columnCount, profiledRows } = record.profile;
  return { status, format, rows, columns: columnCount, ...(profiledRows < rows ? { profiledRows } : {}) };
}
