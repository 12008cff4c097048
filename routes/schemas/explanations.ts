/** Route schemas of /explanations; the explanation's own rules and shape: src/explanations/schema.ts. */
import { z } from 'zod';
import { explanationFields, explanationFileTypes, explanationSchema } from '../../src/explanations/schema.ts';
import { datasetRef, versionRef } from '../../src/fields/common.ts';
import { listQuery, multipartForm, uuidParam } from './common.ts';

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
});

export const createExplanationForm = multipartForm(explanationFields, {
  description:
    `One or more files, each part's filename (or the path field before it) its path within the explanation; ` +
    `each one of: ${Object.keys(explanationFileTypes).join(', ')}.`,
  required: true,
  paths: true,
});
