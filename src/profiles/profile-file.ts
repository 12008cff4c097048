/**
 * The one place that decides how a dataset file is profiled, for both upload paths: text
 * formats while their bytes stream through the meter (proxied: the upload; direct: the
 * verification read-back), Parquet from its footer once stored, anything else not at all.
 */
import { extensionOf } from '../uploads/content-types.ts';
import { parquetProfile, rangeReader } from './parquet-profile.ts';
import type { ProfileRecord, ProfileSummary } from './profile.ts';
import { DelimitedProfiler, JsonLinesProfiler, type StreamProfiler } from './text-profiler.ts';

export interface ProfileSettings {
  maxColumns: number;
}

/** A profiler to feed the file's bytes to, or undefined when its format is not profiled that way. */
function streamProfilerFor(path: string, settings: ProfileSettings): StreamProfiler | undefined {
  switch (extensionOf(path)) {
    case 'csv':
      return new DelimitedProfiler('csv', settings.maxColumns);
    case 'tsv':
      return new DelimitedProfiler('tsv', settings.maxColumns);
    case 'jsonl':
    case 'ndjson':
      return new JsonLinesProfiler(settings.maxColumns);
    default:
      return undefined;
  }
}

/**
 * One file's profiling: `observe` sees every chunk as it streams through the meter; `result`
 * gives the profile once the file is stored. A fault in profiling never fails the upload: the
 * file is stored and its profile says why there is none.
 */
export class FileProfiling {
  readonly #path: string;
  readonly #settings: ProfileSettings;
  readonly #streamed: StreamProfiler | undefined;
  #failure: string | undefined;

  constructor(path: string, settings: ProfileSettings) {
    this.#path = path;
    this.#settings = settings;
    this.#streamed = settings.maxColumns > 0 ? streamProfilerFor(path, settings) : undefined;
  }

  readonly observe = (chunk: Buffer): void => {
    if (!this.#streamed || this.#failure !== undefined) return;
    try {
      this.#streamed.write(chunk);
    } catch (error) {
      this.#failure = (error as Error).message;
    }
  };

  async result(size: number, readRange: (start: number, end: number) => Promise<Buffer>): Promise<ProfileRecord> {
    return storable(await this.#result(size, readRange));
  }

  async #result(size: number, readRange: (start: number, end: number) => Promise<Buffer>): Promise<ProfileRecord> {
    if (this.#settings.maxColumns === 0) return { profile: null, reason: 'Profiling is turned off (PROFILE_MAX_COLUMNS=0).' };
    if (this.#failure !== undefined) return { profile: null, reason: `Profiling failed: ${this.#failure}` };
    if (this.#streamed) {
      try {
        return { profile: this.#streamed.finish() };
      } catch (error) {
        return { profile: null, reason: `Profiling failed: ${(error as Error).message}` };
      }
    }
    const extension = extensionOf(this.#path);
    if (extension === 'parquet') {
      try {
        return { profile: await parquetProfile(rangeReader(readRange, size), this.#settings.maxColumns) };
      } catch (error) {
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
  const { status, format, rows, columnCount } = record.profile;
  return { status, format, rows, columns: columnCount };
}
