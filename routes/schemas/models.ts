import { z } from 'zod';
import { FRAMEWORKS } from '../../src/models/model-formats.ts';
import { MAX_DESCRIPTION_LENGTH } from '../../src/uploads/form-fields.ts';
import { METRIC_NAME } from '../../src/uploads/json-fields.ts';
import { listQuery, uuidParam } from './common.ts';
import { sha256Field } from './datasets.ts';

export const modelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int().describe('1 + the highest version of this name for this dataset.'),
    framework: z.string(),
    format: z.string().describe('pickle, joblib, keras-h5, keras, pytorch, onnx, safetensors, xgboost-json, xgboost-ubj.'),
    safeToLoad: z
      .boolean()
      .describe(
        'false for pickle, joblib, PyTorch and Keras files: loading them can execute arbitrary code. Load only files you trust. The server never loads a model.',
      ),
    metrics: z.record(z.string(), z.number()),
    params: z.record(z.string(), z.unknown()),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    filename: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    contentType: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    dataset: z.object({ id: z.string(), name: z.string() }),
    dependants: z.object({ explanations: z.number().int() }),
    explanations: z.array(z.object({ id: z.string(), method: z.string(), createdAt: z.string() })).optional(),
  })
  .meta({
    id: 'Model',
    example: {
      id: '2b7e1516-28ae-4d2a-abf7-158809cf4f3c',
      name: 'xgboost',
      version: 2,
      framework: 'xgboost',
      format: 'xgboost-json',
      safeToLoad: true,
      metrics: { auc: 0.93, accuracy: 0.95 },
      params: { max_depth: 6, eta: 0.1 },
      description: 'Gradient-boosted trees on the raw features',
      tags: ['credit'],
      filename: 'xgboost_model.json',
      size: 412903,
      sha256: '3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7',
      contentType: 'application/json',
      createdAt: '2026-11-28T11:02:44.512301Z',
      updatedAt: '2026-11-28T11:02:44.871020Z',
      dataset: { id: '6f1c2a7e-3b1d-4c55-9a0e-1d2f3c4b5a69', name: 'german-credit' },
      dependants: { explanations: 1 },
      explanations: [{ id: '9c0f3e21-5d4b-4a8e-8f61-2e7d9b3c1a05', method: 'shap', createdAt: '2026-11-28T11:30:10.004512Z' }],
    },
  });

export const modelPageSchema = z.object({ items: z.array(modelSchema), nextCursor: z.string().nullable() });
export const modelParams = z.object({ id: uuidParam });

export const listModelsQuery = z.strictObject({
  ...listQuery,
  dataset: z.string().min(1).max(100).optional().describe('Dataset id or name.'),
  name: z.string().min(1).max(63).optional(),
  framework: z.enum(FRAMEWORKS).optional(),
  tag: z.string().min(1).max(64).optional(),
  sort: z
    .string()
    .regex(new RegExp(`^(createdAt|metrics\\.${METRIC_NAME.source.slice(1, -1)})$`), 'must be createdAt or metrics.<name>')
    .default('createdAt')
    .describe('createdAt, or a metric such as metrics.auc (models without it come last).'),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export const modelPatchSchema = z.strictObject({
  description: z.string().max(MAX_DESCRIPTION_LENGTH).nullable().optional(),
  tags: z.array(z.string().max(64)).max(50).optional(),
  metrics: z.record(z.string().regex(METRIC_NAME), z.number()).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

export const createModelForm = {
  type: 'object',
  required: ['dataset', 'name', 'file'],
  properties: {
    dataset: { type: 'string', description: 'Dataset id or name; it must exist.', example: 'german-credit' },
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', example: 'xgboost' },
    framework: {
      type: 'string',
      enum: [...FRAMEWORKS],
      description: 'Default: the one the file format implies (xgboost for .json/.ubj, keras, pytorch, onnx), else other.',
    },
    metrics: { type: 'string', description: 'JSON object of numbers.', example: '{"accuracy":0.95,"auc":0.91}' },
    params: { type: 'string', description: 'JSON object.', example: '{"max_depth":6,"n_estimators":400}' },
    description: { type: 'string', example: 'XGBoost on the German credit data' },
    tags: { type: 'array', items: { type: 'string' }, example: ['credit', 'xgboost'] },
    sha256: sha256Field,
    file: {
      type: 'string',
      format: 'binary',
      contentMediaType: 'application/octet-stream',
      description: 'pkl, pickle, joblib, h5, keras, onnx, json/ubj (xgboost), pt, pth or safetensors.',
    },
  },
} as const;
