import { z } from 'zod';
import { MAX_DESCRIPTION_LENGTH } from '../../src/uploads/form-fields.ts';
import { listQuery, uuidParam } from './common.ts';
import { sha256Field } from './datasets.ts';

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
    filename: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    contentType: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    model: z.object({ id: z.string(), name: z.string(), version: z.number().int() }),
    dataset: z.object({ id: z.string(), name: z.string() }),
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
      createdAt: '2026-11-28T11:30:10.004512Z',
      updatedAt: '2026-11-28T11:30:10.338190Z',
      model: { id: '2b7e1516-28ae-4d2a-abf7-158809cf4f3c', name: 'xgboost', version: 2 },
      dataset: { id: '6f1c2a7e-3b1d-4c55-9a0e-1d2f3c4b5a69', name: 'german-credit' },
    },
  });

export const explanationPageSchema = z.object({ items: z.array(explanationSchema), nextCursor: z.string().nullable() });
export const explanationParams = z.object({ id: uuidParam });

export const listExplanationsQuery = z.strictObject({
  ...listQuery,
  model: uuidParam.optional(),
  dataset: z.string().min(1).max(100).optional().describe('Dataset id or name.'),
  method: z.string().min(1).max(63).optional(),
  tag: z.string().min(1).max(64).optional(),
});

export const explanationPatchSchema = z.strictObject({
  description: z.string().max(MAX_DESCRIPTION_LENGTH).nullable().optional(),
  tags: z.array(z.string().max(64)).max(50).optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

export const createExplanationForm = {
  type: 'object',
  required: ['model', 'method', 'file'],
  properties: {
    model: { type: 'string', format: 'uuid', description: 'A ready model of yours; the dataset comes from it.' },
    method: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', example: 'shap' },
    params: { type: 'string', description: 'JSON object: explainer settings.', example: '{"nsamples":500}' },
    summary: { type: 'string', description: 'JSON object, at most 256 KiB.', example: '{"TransactionAmt":0.31,"card1":0.12}' },
    description: { type: 'string', example: 'SHAP values of the test split' },
    tags: { type: 'array', items: { type: 'string' }, example: ['shap'] },
    sha256: sha256Field,
    file: {
      type: 'string',
      format: 'binary',
      contentMediaType: 'application/octet-stream',
      description: 'pkl, npy, npz, parquet, json, csv, html, png or svg.',
    },
  },
} as const;
