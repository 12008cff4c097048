/** Route schemas of /models; the model's own rules and shape: src/models/schema.ts. */
import { z } from 'zod';
import { datasetRef, versionRef } from '../../src/fields/common.ts';
import {
  FRAMEWORKS,
  MLFLOW_MODEL_FILE,
  modelFields,
  modelFileTypes,
  modelSchema,
  modelSortPattern,
  modelSupportFileTypes,
} from '../../src/models/schema.ts';
import { listQuery, multipartForm } from './common.ts';

export const modelPageSchema = z.object({ items: z.array(modelSchema), nextCursor: z.string().nullable() });

export const listModelsQuery = z.strictObject({
  ...listQuery,
  dataset: datasetRef.optional(),
  datasetVersion: versionRef
    .optional()
    .describe('With dataset: only those pinning this version of it (a number, latest or an alias).'),
  name: z.string().min(1).max(63).optional(),
  framework: z.enum(FRAMEWORKS).optional(),
  tag: z.string().min(1).max(64).optional(),
  sort: z
    .string()
    .regex(modelSortPattern, 'must be createdAt or metrics.<name>')
    .default('createdAt')
    .describe('createdAt, or a metric such as metrics.auc (models without it come last).'),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export const createModelForm = multipartForm(modelFields, {
  description:
    `One or more files, each part's filename (or the path field before it) its path within the version. ` +
    `The first: one of ${Object.keys(modelFileTypes).join(', ')} (json/ubj: XGBoost's own formats), or an MLflow folder's ${MLFLOW_MODEL_FILE}; ` +
    `the others may also be ${Object.keys(modelSupportFileTypes).join(', ')}.`,
  required: true,
  paths: true,
});
