/**
 * A dataset file's profile: what a frontend shows before anyone trains on it (rows, columns,
 * types, missing values, ranges, frequent values), computed once, while the bytes stream
 * through the upload meter (CSV, TSV, JSON lines) or from a Parquet file's footer.
 */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'string' | 'datetime' | 'empty';

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  /** Missing values: empty, NA, NaN, null (Parquet: the writer's null count). */
  nulls: number | null;
  /** Numbers and datetimes (ISO 8601 text); null otherwise or when unknown. */
  min: number | string | null;
  max: number | string | null;
  mean: number | null;
  /** Up to 20 most frequent values of a string or boolean column with few distinct values. */
  top: Array<{ value: string; count: number }> | null;
  /** Parquet only: the physical and logical types. */
  physicalType?: string;
  logicalType?: string | null;
}

export interface ProfileProblem {
  /** 1-based line (CSV/TSV: physical line of the file; JSON lines: line number). */
  row: number;
  message: string;
}

export interface DatasetProfile {
  format: 'csv' | 'tsv' | 'jsonl' | 'parquet';
  /** complete; or partial: the file was read to its end but some rows could not be parsed. */
  status: 'complete' | 'partial';
  rows: number;
  columnCount: number;
  /** Profiled columns (the first PROFILE_MAX_COLUMNS); the others are only counted. */
  columns: ColumnProfile[];
  untrackedColumns: number;
  /** `top` comes from a bounded count: columns with many distinct values get none. */
  topValues: 'approximate';
  problems: ProfileProblem[];
  problemCount: number;
  rowGroups?: number;
}

/** What is stored per dataset file: a profile, or why there is none (never an error). */
export type ProfileRecord = { profile: DatasetProfile } | { profile: null; reason: string };

/** The short form shown on each file of GET /datasets/{d}. */
export interface ProfileSummary {
  status: 'complete' | 'partial' | 'none';
  format: DatasetProfile['format'] | null;
  rows: number | null;
  columns: number | null;
  reason?: string;
}
