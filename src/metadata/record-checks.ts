/**
 * The seam between SQL and TypeScript, checked: the records the SQL functions build are parsed
 * with the zod schemas the API promises (the same that type them and render the OpenAPI
 * document), so a function that drops, renames or mistypes a field fails where it happens,
 * naming the field, instead of being cast through. On in the tests (every API test runs
 * through it); a deployment skips the parse.
 */
import { z } from 'zod';
import { datasetFileSchema, datasetSchema, datasetVersionSchema } from '../datasets/schema.ts';
import { explanationSchema } from '../explanations/schema.ts';
import { modelSchema } from '../models/schema.ts';

const schemas = {
  dataset: datasetSchema,
  'dataset file': datasetFileSchema,
  'dataset version': datasetVersionSchema,
  model: modelSchema,
  explanation: explanationSchema,
} as const;

export type CheckedRecord = keyof typeof schemas;

/** `check(kind, value)`: the value, once it has passed the kind's schema (a no-op when off). */
export type RecordCheck = <T>(kind: CheckedRecord, value: T) => T;

export const uncheckedRecords: RecordCheck = (_kind, value) => value;

export const checkedRecords: RecordCheck = (kind, value) => {
  const parsed = schemas[kind].safeParse(value);
  if (!parsed.success) {
    throw new Error(`A ${kind} record from SQL does not match its schema: ${z.prettifyError(parsed.error)}`);
  }
  return value;
};
