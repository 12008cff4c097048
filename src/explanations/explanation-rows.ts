/**
 * One row's explanation beside its data: any row of an explanation's SHAP matrix (feature →
 * value, with `base_value` and `prediction` apart), and with `withData` the same row of the
 * dataset file it explains, both read with Range requests (profiles/table-rows.ts). Which files
 * those are is the database's answer (supabase/sql/36_explanation_rows.sql): the matrix its
 * importances came from, and the dataset file named at upload or the one with as many rows.
 */
import { z } from 'zod';
import type { Actor } from '../domain.ts';
import { AppError } from '../errors.ts';
import type { ExplanationRecords } from '../metadata/explanation-records.ts';
import type { ParquetReading } from '../profiles/parquet-reading.ts';
import { rowIndexSchema } from '../profiles/row-index.ts';
import { readTableRows, type TableRows } from '../profiles/table-rows.ts';
import type { ObjectStorage } from '../storage/port.ts';

/** Rows one page answers at most. */
export const MAX_ROWS_PAGE = 500;

const rowFileSchema = z.object({
  id: z.string(),
  path: z.string(),
  objectKey: z.string(),
  size: z.number().int().nonnegative(),
  rows: z.number().int().nullable(),
  rowIndex: rowIndexSchema.nullable(),
});

/** What the database says an explanation's rows are read from. */
export const rowsSourceSchema = z.union([
  z.object({ matrix: z.null(), reason: z.string() }),
  z.object({
    matrix: rowFileSchema,
    names: z.array(z.string()).nullable(),
    data: rowFileSchema.nullable(),
    dataReason: z.string().nullable(),
  }),
]);
export type RowsSource = z.infer<typeof rowsSourceSchema>;

const cell = z.union([z.number(), z.string(), z.boolean(), z.null()]);

export const explanationRowSchema = z
  .object({
    index: z.number().int().describe('The row, from 0, in the SHAP matrix (and in the dataset file beside it).'),
    values: z.record(z.string(), z.number().nullable()).describe("Feature → SHAP value, in the matrix's column order."),
    baseValue: z.number().nullable().optional().describe('The `base_value` column, when the matrix has one.'),
    prediction: cell.optional().describe('The `prediction` column, when the matrix has one.'),
    data: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('With withData=true: the same row of the dataset file, column → value (null: see dataReason).'),
  })
  .meta({ id: 'ExplanationRow' });

const rowsContext = {
  explanationId: z.string(),
  file: z.string().describe('The SHAP matrix file the rows are read from.'),
  total: z.number().int().nullable().describe('Rows in the matrix.'),
  dataFile: z
    .object({ id: z.string(), path: z.string() })
    .nullable()
    .optional()
    .describe('With withData=true: the dataset file the data is read from.'),
  dataReason: z.string().optional().describe('With withData=true: why there is no data beside the rows.'),
  bytesRead: z.number().int().describe('Bytes read from storage for this answer (both files).'),
};

export const explanationRowAnswerSchema = explanationRowSchema.extend(rowsContext).meta({ id: 'ExplanationRowAnswer' });
export const explanationRowsPageSchema = z
  .object({
    ...rowsContext,
    offset: z.number().int(),
    limit: z.number().int(),
    rows: z.array(explanationRowSchema),
  })
  .meta({ id: 'ExplanationRowsPage' });

export type ExplanationRow = z.infer<typeof explanationRowSchema>;
export type ExplanationRowAnswer = z.infer<typeof explanationRowAnswerSchema>;
export type ExplanationRowsPage = z.infer<typeof explanationRowsPageSchema>;

export class ExplanationRows {
  readonly #records: ExplanationRecords;
  readonly #storage: ObjectStorage;
  readonly #parquet: ParquetReading;

  constructor(deps: { records: ExplanationRecords; storage: ObjectStorage; parquet: ParquetReading }) {
    this.#records = deps.records;
    this.#storage = deps.storage;
    this.#parquet = deps.parquet;
  }

  /** GET /explanations/{id}/rows/{index}. */
  async row(actor: Actor, id: string, index: number, withData: boolean): Promise<ExplanationRowAnswer> {
    const { rows, ...context } = await this.page(actor, id, index, 1, withData);
    const row = rows[0];
    if (!row) {
      throw new AppError('row_not_found', `Explanation ${id} has ${context.total ?? 'fewer'} rows; there is no row ${index}.`, {
        details: { total: context.total },
      });
    }
    const { offset: _offset, limit: _limit, ...rest } = context;
    return { ...row, ...rest };
  }

  /** GET /explanations/{id}/rows?offset=&limit=. */
  async page(actor: Actor, id: string, offset: number, limit: number, withData: boolean): Promise<ExplanationRowsPage> {
    const source = rowsSourceSchema.parse(await this.#records.rowsSource(actor.scope, id, withData));
    if (source.matrix === null) throw new AppError('rows_unavailable', `Explanation ${id} has no rows to read: ${source.reason}`);
    const { matrix } = source;
    const shap = await this.#read(matrix, offset, limit);
    const names = source.names && source.names.length === shap.columns.length ? source.names : shap.columns;
    let data: TableRows | undefined;
    let dataReason = withData ? (source.dataReason ?? undefined) : undefined;
    if (withData && source.data && shap.rows.length > 0) {
      try {
        data = await this.#read(source.data, offset, shap.rows.length);
      } catch (error) {
        if (!(error instanceof AppError) || error.kind !== 'unprocessable') throw error;
        dataReason = `${source.data.path}: ${error.message}`;
      }
    }
    const rows = shap.rows.map((cells, at) => {
      const row: ExplanationRow = { index: offset + at, values: {} };
      cells.forEach((value, column) => {
        const name = names[column] as string;
        if (name === 'base_value') row.baseValue = typeof value === 'number' ? value : null;
        else if (name === 'prediction') row.prediction = value as ExplanationRow['prediction'];
        else row.values[name] = typeof value === 'number' ? value : null;
      });
      if (withData) {
        const dataCells = data?.rows[at];
        row.data = dataCells
          ? Object.fromEntries(data?.columns.map((name, column) => [name, dataCells[column] ?? null]) ?? [])
          : null;
      }
      return row;
    });
    if (withData && data && data.rows.length < shap.rows.length && dataReason === undefined) {
      dataReason = `${source.data?.path} has ${data.total} rows: the rows past them have no data.`;
    }
    return {
      explanationId: id,
      file: matrix.path,
      total: shap.total,
      offset,
      limit,
      ...(withData ? { dataFile: source.data ? { id: source.data.id, path: source.data.path } : null } : {}),
      ...(dataReason !== undefined ? { dataReason } : {}),
      bytesRead: shap.bytesRead + (data?.bytesRead ?? 0),
      rows,
    };
  }

  #read(file: z.infer<typeof rowFileSchema>, first: number, count: number): Promise<TableRows> {
    return readTableRows(file, (start, end) => this.#storage.readRange(file.objectKey, start, end), first, count, this.#parquet);
  }
}
