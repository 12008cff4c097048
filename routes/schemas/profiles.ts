/** Schemas of dataset profiles and previews. */
import { z } from 'zod';
import { PREVIEW_MAX_ROWS } from '../../src/profiles/preview.ts';

const columnType = z.enum(['integer', 'number', 'boolean', 'string', 'datetime', 'empty']);
const format = z.enum(['csv', 'tsv', 'jsonl', 'parquet']);

export const profileSummarySchema = z
  .object({
    status: z.enum(['complete', 'partial', 'none']).describe('partial: some rows could not be parsed; none: see reason.'),
    format: format.nullable(),
    rows: z.number().int().nullable(),
    columns: z.number().int().nullable(),
    reason: z.string().optional(),
  })
  .meta({ id: 'ProfileSummary', example: { status: 'complete', format: 'csv', rows: 590540, columns: 394 } });

const columnProfileSchema = z.object({
  name: z.string(),
  type: columnType,
  nulls: z.number().int().nullable().describe('Missing values: empty, NA, NaN, null (Parquet: the stored null count).'),
  min: z.union([z.number(), z.string()]).nullable(),
  max: z.union([z.number(), z.string()]).nullable(),
  mean: z.number().nullable(),
  top: z
    .array(z.object({ value: z.string(), count: z.number().int() }))
    .nullable()
    .describe('Up to 20 most frequent values of a string or boolean column with at most 128 distinct values.'),
  physicalType: z.string().optional(),
  logicalType: z.string().nullable().optional(),
});

export const datasetProfileSchema = z
  .object({
    format,
    status: z.enum(['complete', 'partial']),
    rows: z.number().int(),
    columnCount: z.number().int(),
    columns: z.array(columnProfileSchema),
    untrackedColumns: z.number().int().describe('Columns past PROFILE_MAX_COLUMNS: counted, not profiled.'),
    topValues: z.literal('approximate'),
    problems: z
      .array(z.object({ row: z.number().int(), message: z.string() }))
      .describe('The first 20 problems, with their line.'),
    problemCount: z.number().int(),
    rowGroups: z.number().int().optional(),
  })
  .meta({ id: 'DatasetProfile' });

export const profileRecordSchema = z
  .object({
    profile: datasetProfileSchema.nullable(),
    reason: z.string().optional().describe('Why there is no profile (a format that is not profiled, say).'),
  })
  .meta({ id: 'DatasetFileProfile' });

export const previewQuery = z.strictObject({
  rows: z.coerce.number().int().min(1).max(PREVIEW_MAX_ROWS).default(50).describe(`Rows to show, 1 to ${PREVIEW_MAX_ROWS}.`),
});

export const previewSchema = z
  .object({
    format,
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())),
    truncated: z.boolean().describe('Fewer rows than asked: the byte cap of a preview came first.'),
    bytesRead: z.number().int().describe('Bytes read from storage for this preview.'),
  })
  .meta({
    id: 'DatasetPreview',
    example: {
      format: 'csv',
      columns: ['TransactionID', 'isFraud', 'TransactionAmt'],
      rows: [
        ['2987000', '0', '68.5'],
        ['2987001', '0', '29.0'],
      ],
      truncated: false,
      bytesRead: 262144,
    },
  });
