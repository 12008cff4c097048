/**
 * A dataset file's profile: what a frontend shows before anyone trains on it (rows, columns,
 * types, missing values, ranges, frequent values), computed once, while the bytes stream
 * through the upload meter (CSV, TSV, JSON lines) or from a Parquet file's footer. The schemas
 * here are its types, its OpenAPI components and the shape the routes answer with.
 */
import { z } from 'zod';

export const columnTypeSchema = z.enum(['integer', 'number', 'boolean', 'string', 'datetime', 'empty']);
export const profileFormatSchema = z.enum(['csv', 'tsv', 'jsonl', 'parquet', 'npy']);

export const columnProfileSchema = z.object({
  name: z.string(),
  type: columnTypeSchema,
  nulls: z.number().int().nullable().describe('Missing values: empty, NA, NaN, null (Parquet: the stored null count).'),
  /** Numbers and datetimes (ISO 8601 text); null otherwise or when unknown. */
  min: z.union([z.number(), z.string()]).nullable(),
  max: z.union([z.number(), z.string()]).nullable(),
  mean: z.number().nullable(),
  meanAbs: z
    .number()
    .nullable()
    .optional()
    .describe('Numbers: the mean of the absolute values (of a SHAP matrix column, the feature importance).'),
  top: z
    .array(z.object({ value: z.string(), count: z.number().int() }))
    .nullable()
    .describe('Up to 20 most frequent values of a string or boolean column with at most 128 distinct values.'),
  /** Parquet only: the physical and logical types. */
  physicalType: z.string().optional(),
  logicalType: z.string().nullable().optional(),
});

export const profileProblemSchema = z.object({
  /** 1-based line (CSV/TSV: physical line of the file; JSON lines: line number). */
  row: z.number().int(),
  message: z.string(),
});

export const datasetProfileSchema = z
  .object({
    format: profileFormatSchema,
    status: z
      .enum(['complete', 'sampled', 'partial'])
      .describe(
        'complete: every row profiled; sampled: every row counted, the column statistics describe profiledRows of them (profiling skipped ahead to keep up with the upload); partial: some rows could not be parsed (see problems).',
      ),
    rows: z.number().int(),
    profiledRows: z
      .number()
      .int()
      .describe(
        'Rows the column statistics describe: all of them (= rows) unless profiling fell behind the upload. Profiling never slows an upload: when the server is short of CPU it skips ahead, still counting every row, and nulls, min, max, mean and top then describe these rows only.',
      ),
    columnCount: z.number().int(),
    columns: z.array(columnProfileSchema),
    untrackedColumns: z.number().int().describe('Columns past PROFILE_MAX_COLUMNS: counted, not profiled.'),
    topValues: z.literal('approximate').describe('`top` comes from a bounded count: columns with many distinct values get none.'),
    problems: z.array(profileProblemSchema).describe('The first 20 problems, with their line.'),
    problemCount: z.number().int(),
    rowGroups: z.number().int().optional(),
  })
  .meta({ id: 'DatasetProfile' });

/** What is stored per dataset file: a profile, or why there is none (never an error). */
export const profileRecordSchema = z
  .object({
    profile: datasetProfileSchema.nullable(),
    reason: z.string().optional().describe('Why there is no profile (a format that is not profiled, say).'),
  })
  .meta({ id: 'DatasetFileProfile' });

/** The short form shown on each file of GET /datasets/{d}. */
export const profileSummarySchema = z
  .object({
    status: z
      .enum(['complete', 'sampled', 'partial', 'none'])
      .describe(
        'sampled: the statistics describe profiledRows of rows; partial: some rows could not be parsed; none: see reason.',
      ),
    format: profileFormatSchema.nullable(),
    rows: z.number().int().nullable(),
    columns: z.number().int().nullable(),
    profiledRows: z
      .number()
      .int()
      .optional()
      .describe('Only when the column statistics describe fewer rows than `rows` (see DatasetProfile.profiledRows).'),
    reason: z.string().optional(),
  })
  .meta({ id: 'ProfileSummary', example: { status: 'complete', format: 'csv', rows: 590540, columns: 394 } });

/** The first rows of a file, read with Range requests. */
export const previewSchema = z
  .object({
    format: profileFormatSchema,
    columns: z.array(z.string()),
    rows: z
      .array(z.array(z.unknown()))
      .describe(
        'CSV and TSV cells typed as the profile types their column: numbers, booleans, null for empty/NA/NaN/null; text where a number would lose digits (past 15 significant digits, integers past 2^53). JSON lines and Parquet keep their own types.',
      ),
    truncated: z.boolean().describe('Fewer rows than asked: the byte cap of a preview came first.'),
    bytesRead: z.number().int().describe('Bytes read from storage for this preview.'),
    truncatedCells: z
      .number()
      .int()
      .optional()
      .describe(
        'Cells not shown, only when there are some: a value nested deeper than 32 levels or holding more than 10,000 keys and elements (the rules of JSON fields) is answered as a text that says so.',
      ),
    skippedLines: z
      .number()
      .int()
      .optional()
      .describe('JSON lines only, when there are some: lines nested too deeply to parse (over 256 levels), left out.'),
  })
  .meta({
    id: 'DatasetPreview',
    example: {
      format: 'csv',
      columns: ['TransactionID', 'isFraud', 'TransactionAmt'],
      rows: [
        [2987000, 0, 68.5],
        [2987001, 0, 29],
      ],
      truncated: false,
      bytesRead: 262144,
    },
  });

export type ColumnType = z.infer<typeof columnTypeSchema>;
export type ColumnProfile = z.infer<typeof columnProfileSchema>;
export type ProfileProblem = z.infer<typeof profileProblemSchema>;
export type DatasetProfile = z.infer<typeof datasetProfileSchema>;
export type ProfileRecord = { profile: DatasetProfile; reason?: string } | { profile: null; reason: string };
export type ProfileSummary = z.infer<typeof profileSummarySchema>;
export type Preview = z.infer<typeof previewSchema>;
