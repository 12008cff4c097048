/**
 * An explanation's rules, in one place: its fields (multipart form, direct-upload target,
 * PATCH), its file types, and the record the API answers with.
 */
import { z } from 'zod';
import { pinnedDatasetSchema } from '../datasets/schema.ts';
import { AppError } from '../errors.ts';
import { description, KEY_NAME_PATTERN, tags, uuid, versionRef, versionRefValue } from '../fields/common.ts';
import type { FileType } from '../fields/file-types.ts';
import { checkJsonObject, jsonObject, jsonText } from '../fields/json.ts';
import { matching } from '../fields/problems.ts';
import { type StoredVersion, versionFileFields } from '../versions/schema.ts';
import { importanceSourceSchema } from './importances.ts';

export const MAX_SUMMARY_BYTES = 256 * 1024;

const octets = 'application/octet-stream';
export const explanationFileTypes: Readonly<Record<string, FileType>> = {
  pkl: { contentType: octets },
  pickle: { contentType: octets },
  npy: { contentType: octets },
  npz: { contentType: 'application/zip' },
  parquet: { contentType: 'application/vnd.apache.parquet' },
  json: { contentType: 'application/json' },
  html: { contentType: 'text/html' },
  png: { contentType: 'image/png' },
  svg: { contentType: 'image/svg+xml' },
  csv: { contentType: 'text/csv' },
  tsv: { contentType: 'text/tab-separated-values' },
};

export const method = matching({
  pattern: KEY_NAME_PATTERN,
  message: 'method must be a slug such as shap or lime (lowercase letters, digits, _ or -).',
});

/** Shape first (bounded depth), then size: serializing an unbounded value could overflow the stack. */
function summaryRule(value: Record<string, unknown>): Record<string, unknown> {
  const summary = checkJsonObject('summary', value);
  if (Buffer.byteLength(JSON.stringify(summary)) > MAX_SUMMARY_BYTES) {
    throw new AppError('field_too_large', `summary is larger than ${MAX_SUMMARY_BYTES} bytes.`);
  }
  return summary;
}

/** Feature names of a .npy matrix's columns: at most as many as a profile tracks columns. */
const MAX_FEATURES = 10_000;
const featureNames = z
  .array(z.string().min(1).max(1024))
  .max(MAX_FEATURES)
  .describe(
    ".npy matrices: the columns' feature names, in order (default: the dataset version's columns, when one of its files has as many).",
  );
/** In a form: a JSON array, or names separated by commas. */
const featureNamesText = z
  .string()
  .max(1024 * 1024)
  .transform((text, context) => {
    if (!text.trimStart().startsWith('[')) return text.split(',').map((name) => name.trim());
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'features is a JSON array of names or names separated by commas.' });
      return z.NEVER;
    }
  })
  .pipe(featureNames);

/** JSON-valued fields arrive as text in a form and as values in JSON bodies. */
function shape(json: 'text' | 'value') {
  const text = json === 'text';
  return {
    model: uuid
      .describe('A ready model of yours; the dataset comes from it.')
      .meta({ example: '0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11' }),
    method: method.meta({ example: 'shap' }),
    datasetVersion: (text ? versionRef : versionRefValue)
      .optional()
      .describe('The dataset version explained: a number, latest or an alias. Default: the one the model pins.')
      // An empty example (an empty field is an absent one): else Swagger UI fills in a value made from the pattern.
      .meta({ example: text ? '' : 2 }),
    datasetFile: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe(
        "The dataset version's file whose rows the SHAP matrix explains, row for row (GET /explanations/{id}/rows?withData=true). Default: the one file of that version with as many rows.",
      )
      .meta({ example: text ? '' : 'test.csv' }),
    params: (text ? jsonText('params') : jsonObject('params'))
      .optional()
      .describe('JSON object: explainer settings.')
      .meta({ example: text ? '{"nsamples":500}' : { nsamples: 500 } }),
    summary: (text ? jsonText('summary', summaryRule, MAX_SUMMARY_BYTES) : jsonObject('summary', summaryRule))
      .optional()
      .describe('JSON object, at most 256 KiB: e.g. global feature importance, for charts without downloading the file.')
      .meta({ example: text ? '{"TransactionAmt":0.31,"card1":0.12}' : { TransactionAmt: 0.31, card1: 0.12 } }),
    features: (text ? featureNamesText : featureNames).optional().meta({ example: text ? '' : ['TransactionAmt', 'card1'] }),
    description: description.optional().meta({ example: 'SHAP values of the test split' }),
    tags: tags.optional().meta({ example: ['shap'] }),
  };
}

/** The fields of POST /explanations (before or, for the descriptive ones, after the file). */
export const explanationFields = z.object(shape('text'));
/** The same fields as the target of a direct upload. */
export const explanationTarget = z.strictObject(shape('value'));
export const explanationPatch = z
  .strictObject(shape('value'))
  .pick({ tags: true, summary: true, params: true })
  .extend({ description: description.nullable() })
  .partial();

/** Fields that may also follow the file: they describe it, they do not place it. */
export const EXPLANATION_LATE_FIELDS = ['params', 'summary', 'features', 'description', 'tags'] as const;

const ref = z.object({ id: z.string(), name: z.string() });

export const explanationSchema = z
  .object({
    id: z.string(),
    method: z.string(),
    params: z.record(z.string(), z.unknown()),
    summary: z
      .record(z.string(), z.unknown())
      .describe('E.g. global feature importance, for charts without downloading the file.'),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    ...versionFileFields,
    createdAt: z.string(),
    updatedAt: z.string(),
    model: ref.extend({ version: z.number().int() }),
    dataset: pinnedDatasetSchema.describe('The exact dataset version this explains.'),
    datasetFile: z.string().nullable().describe('The file of that version whose rows it explains, when named at upload.'),
    importances: importanceSourceSchema
      .nullable()
      .describe('Where its feature importances come from (GET /explanations/{id}/importances), or why it has none.'),
  })
  .meta({
    id: 'Explanation',
    example: {
      id: '9c0f3e21-5d4b-4a8e-8f61-2e7d9b3c1a05',
      method: 'shap',
      params: { explainer: 'TreeExplainer', background_samples: 100 },
      summary: { mean_abs_shap: { checking_status: 0.41, duration: 0.27, credit_amount: 0.19 } },
      description: 'SHAP values on the test split',
      tags: ['credit'],
      filename: 'shap_values.parquet',
      size: 160322,
      sha256: 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c',
      contentType: 'application/vnd.apache.parquet',
      state: 'ready',
      fileCount: 1,
      files: [
        {
          id: '4d1e8a52-0c3b-4f7e-9a21-6b5d3e8f0c14',
          path: 'shap_values.parquet',
          size: 160322,
          sha256: 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c',
          contentType: 'application/vnd.apache.parquet',
        },
      ],
      createdAt: '2026-11-28T11:30:10.004512Z',
      updatedAt: '2026-11-28T11:30:10.338190Z',
      model: { id: '2b7e1516-28ae-4d2a-abf7-158809cf4f3c', name: 'xgboost', version: 2 },
      importances: { source: 'matrix', file: 'shap_values.csv', rows: 1000, profiledRows: 1000, untracked: 0 },
      dataset: {
        id: '6f1c2a7e-3b1d-4c55-9a0e-1d2f3c4b5a69',
        name: 'german-credit',
        version: 1,
        digest: '0f4c6f2d9a1e3b5c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9011223344a',
      },
    },
  });

export type Explanation = z.infer<typeof explanationSchema> & StoredVersion;
export type ExplanationFieldValues = z.output<typeof explanationFields>;
export type ExplanationTarget = z.output<typeof explanationTarget>;
export type ExplanationPatch = z.output<typeof explanationPatch>;
