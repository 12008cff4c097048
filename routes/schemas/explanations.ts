/** Route schemas of /explanations; the explanation's own rules and shape: src/explanations/schema.ts. */
import { z } from 'zod';
import { MAX_ROWS_PAGE } from '../../src/explanations/explanation-rows.ts';
import { MAX_TOP } from '../../src/explanations/importances.ts';
import { explanationFields, explanationFileTypes, explanationSchema } from '../../src/explanations/schema.ts';
import { datasetRef, versionRef } from '../../src/fields/common.ts';
import { booleanQuery, listQuery, multipartForm, uuidParam } from './common.ts';

export const explanationPageSchema = z.object({ items: z.array(explanationSchema), nextCursor: z.string().nullable() });

export const listExplanationsQuery = z.strictObject({
  ...listQuery,
  model: uuidParam.optional(),
  dataset: datasetRef.optional(),
  datasetVersion: versionRef
    .optional()
    .describe('With dataset: only those pinning this version of it (a number, latest or an alias).'),
  method: z.string().min(1).max(63).optional(),
  tag: z.string().min(1).max(64).optional(),
  feature: z.string().min(1).max(1024).optional().describe('Only explanations that rank this feature (see maxRank).'),
  maxRank: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_TOP)
    .optional()
    .describe('With feature: only those where it ranks at most this (1 = the most important).'),
});

export const topQuery = z.strictObject({
  top: z.coerce.number().int().min(1).max(MAX_TOP).default(20).describe('How many of the most important features.'),
});

export const compareImportancesQuery = topQuery.extend({
  method: z.string().min(1).max(63).default('shap').describe('Explanations by this method (the newest of each version).'),
});

export const createExplanationForm = multipartForm(explanationFields, {
  description:
    `One or more files, each part's filename (or the path field before it) its path within the explanation; ` +
    `each one of: ${Object.keys(explanationFileTypes).join(', ')}.`,
  required: true,
  paths: true,
});

const withData = booleanQuery.describe(
  "true: beside each row, the same row of the dataset file it explains (datasetFile, or the version's one file with as many rows).",
);

export const rowQuery = z.strictObject({ withData });

export const rowsQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0).describe('The first row, from 0.'),
  limit: z.coerce.number().int().min(1).max(MAX_ROWS_PAGE).default(100).describe(`Rows, at most ${MAX_ROWS_PAGE}.`),
  withData,
});

export const rowParams = z.object({
  id: uuidParam,
  index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('The row, from 0.'),
});
