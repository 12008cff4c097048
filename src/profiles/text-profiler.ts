/**
 * Profiles CSV, TSV and JSON lines as their bytes stream through the upload meter: one pass,
 * chunk by chunk, never the whole file in memory. CSV records come from CsvScanner (RFC 4180
 * quoting, embedded newlines, \r\n, a BOM). A malformed file still uploads: what went wrong, and
 * where, is recorded in the profile.
 */
import { ColumnStats } from './column-stats.ts';
import { CsvScanner } from './csv-scanner.ts';
import { DistinctCount } from './distinct-count.ts';
import type { DatasetProfile, ProfileProblem } from './profile.ts';

const MAX_PROBLEMS = 20;

export interface StreamProfiler {
  write(chunk: Buffer): void;
  /**
   * The bytes after the last write were skipped (the profiler fell behind the upload); the next
   * write starts a record, `lines` line feeds after the last byte written. The record in
   * progress is dropped: its end was in the skipped bytes, where it is counted.
   */
  skip(lines: number): void;
  finish(): DatasetProfile;
}

abstract class TextProfiler implements StreamProfiler {
  protected readonly maxColumns: number;
  protected columns: ColumnStats[] = [];
  protected columnCount = 0;
  protected rows = 0;
  readonly #problems: ProfileProblem[] = [];
  #problemCount = 0;
  #decoder = new TextDecoder('utf-8', { fatal: true });
  #lossy = false;

  constructor(maxColumns: number) {
    this.maxColumns = maxColumns;
  }

  write(chunk: Buffer): void {
    let text: string;
    try {
      text = this.#decoder.decode(chunk, { stream: true });
    } catch {
      // Keep going with replacement characters; say where the bytes stopped being UTF-8.
      this.problem(
        this.currentLine(),
        'The file is not valid UTF-8 from here on; the profile reads it with replacement characters.',
      );
      this.#decoder = new TextDecoder('utf-8');
      this.#lossy = true;
      text = this.#decoder.decode(chunk, { stream: true });
    }
    this.consume(text);
  }

  skip(lines: number): void {
    this.#decoder = new TextDecoder('utf-8', { fatal: !this.#lossy });
    this.restart(lines);
  }

  finish(): DatasetProfile {
    this.consume(this.#decoder.decode(), true);
    this.columnCount = this.countColumns();
    return {
      format: this.format(),
      status: this.#problemCount > 0 || this.#lossy ? 'partial' : 'complete',
      rows: this.rows,
      profiledRows: this.rows,
      columnCount: this.columnCount,
      columns: this.columns.map((column) => column.profile()),
      untrackedColumns: Math.max(0, this.columnCount - this.columns.length),
      topValues: 'approximate',
      problems: this.#problems,
      problemCount: this.#problemCount,
    };
  }

  protected problem(row: number, message: string): void {
    this.#problemCount += 1;
    if (this.#problems.length < MAX_PROBLEMS) this.#problems.push({ row, message });
  }

  /** Every column seen, profiled or not (once the whole file is read). */
  protected countColumns(): number {
    return this.columnCount;
  }

  protected abstract format(): DatasetProfile['format'];
  protected abstract consume(text: string, end?: boolean): void;
  protected abstract currentLine(): number;
  /** Drops the record in progress; the next text starts one, `lines` line feeds on. */
  protected abstract restart(lines: number): void;
}

/** CSV and TSV: the first record is the header; every other record is a row. */
export class DelimitedProfiler extends TextProfiler {
  readonly #format: 'csv' | 'tsv';
  readonly #scanner: CsvScanner;
  #header: string[] | undefined;
  #line = 1;

  constructor(format: 'csv' | 'tsv', maxColumns: number) {
    super(maxColumns);
    this.#format = format;
    this.#scanner = new CsvScanner(
      format === 'tsv' ? '\t' : ',',
      {
        record: (fields, line, count) => {
          this.#line = line;
          this.#record(fields, line, count);
        },
        problem: (line, message) => this.problem(line, message),
      },
      // Fields past the profiled columns are only counted.
      Math.max(maxColumns, 1),
    );
  }

  protected format() {
    return this.#format;
  }

  protected currentLine(): number {
    return this.#line;
  }

  protected restart(lines: number): void {
    this.#scanner.restart(lines);
  }

  protected consume(text: string, end = false): void {
    if (text.length > 0) this.#scanner.write(text);
    if (end) this.#scanner.end();
  }

  #record(record: string[], line: number, count: number): void {
    if (!this.#header) {
      this.#header = record;
      this.columnCount = count;
      this.columns = record.slice(0, this.maxColumns).map((name) => new ColumnStats(name));
      return;
    }
    this.rows += 1;
    if (count !== this.columnCount) {
      this.problem(line, `The row has ${count} fields; the header has ${this.columnCount}.`);
    }
    const tracked = Math.min(record.length, this.columns.length);
    for (let index = 0; index < tracked; index += 1) (this.columns[index] as ColumnStats).addText(record[index] as string);
    // Fields missing from a short row are missing values.
    for (let index = tracked; index < this.columns.length; index += 1) (this.columns[index] as ColumnStats).nulls += 1;
  }
}

/** JSON lines / NDJSON: one object per line; columns are the keys, in the order first seen. */
/** A JSON line longer than this is reported, not parsed (memory stays bounded). */
const MAX_LINE_CHARS = 4 * 1024 * 1024;
/** Untracked keys counted exactly up to this many; past it, estimated in 4 KiB. */
const UNTRACKED_EXACT = 1000;

export class JsonLinesProfiler extends TextProfiler {
  /** Text of the current line from earlier chunks. */
  #pending: string[] = [];
  #pendingLength = 0;
  #overlong = false;
  #line = 0;
  readonly #byName = new Map<string, ColumnStats>();
  /** Keys past maxColumns: counted, not kept (a file of never-repeated keys stays small). */
  readonly #untracked = new DistinctCount(UNTRACKED_EXACT);
  #estimateReported = false;

  protected format() {
    return 'jsonl' as const;
  }

  protected override countColumns(): number {
    return this.columns.length + this.#untracked.size;
  }

  protected currentLine(): number {
    return this.#line + 1;
  }

  protected restart(lines: number): void {
    this.#pending = [];
    this.#pendingLength = 0;
    this.#overlong = false;
    this.#line += lines;
  }

  protected consume(text: string, end = false): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.#endLine(text.slice(start, newline));
      start = newline + 1;
    }
    this.#keep(text.slice(start));
    if (end && (this.#pendingLength > 0 || this.#overlong)) this.#endLine('');
  }

  #keep(part: string): void {
    if (this.#overlong || part.length === 0) return;
    if (this.#pendingLength + part.length > MAX_LINE_CHARS) {
      this.#overlong = true;
      this.#pending = [];
      this.#pendingLength = 0;
      return;
    }
    this.#pending.push(part);
    this.#pendingLength += part.length;
  }

  #endLine(last: string): void {
    if (this.#overlong) {
      this.#line += 1;
      this.problem(this.#line, `The line is longer than ${MAX_LINE_CHARS} characters; it is not profiled.`);
      this.#overlong = false;
      return;
    }
    const line = this.#pending.length === 0 ? last : this.#pending.join('') + last;
    this.#pending = [];
    this.#pendingLength = 0;
    if (line.length > MAX_LINE_CHARS) {
      this.#line += 1;
      this.problem(this.#line, `The line is longer than ${MAX_LINE_CHARS} characters; it is not profiled.`);
      return;
    }
    this.#lineOf(line);
  }

  #lineOf(raw: string): void {
    this.#line += 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.problem(this.#line, 'The line is not valid JSON.');
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(this.#line, 'The line is not a JSON object.');
      return;
    }
    this.rows += 1;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      let column = this.#byName.get(key);
      if (!column) {
        if (this.columns.length >= this.maxColumns) {
          this.#untracked.add(key);
          if (this.#untracked.estimated && !this.#estimateReported) {
            this.#estimateReported = true;
            this.problem(
              this.#line,
              `More than ${UNTRACKED_EXACT} keys past the ${this.maxColumns} profiled columns: columnCount is an estimate from here on.`,
            );
          }
          continue;
        }
        column = new ColumnStats(key);
        // A column first seen on a later row was missing on every row before it.
        column.nulls = this.rows - 1;
        this.#byName.set(key, column);
        this.columns.push(column);
      }
      column.addJson(record[key]);
    }
    for (const column of this.columns) if (!Object.hasOwn(record, column.name)) column.nulls += 1;
  }
}
