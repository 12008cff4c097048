/**
 * A model's rules, in one place: its fields (multipart form, direct-upload target, PATCH), its
 * file formats and what loading each can do, and the record the API answers with.
 */
import { z } from 'zod';
import { pinnedDatasetSchema } from '../datasets/schema.ts';
import { datasetRef, description, KEY_NAME_PATTERN, tags, versionRef, versionRefValue } from '../fields/common.ts';
import type { FileType } from '../fields/file-types.ts';
import { jsonObject, jsonText, METRIC_NAME, metricsRule } from '../fields/json.ts';
import { matching } from '../fields/problems.ts';
import { type StoredVersion, versionFileFields } from '../versions/schema.ts';

export const FRAMEWORKS = ['xgboost', 'sklearn', 'lightgbm', 'keras', 'pytorch', 'onnx', 'other'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface ModelFileType extends FileType {
  format: string;
  /**
   * Whether loading the file can run code: pickle-based formats (pickle, joblib, PyTorch's .pt)
   * execute code on load and Keras files can carry Lambda layers; ONNX, safetensors and
   * XGBoost's JSON/UBJSON are data only. The server never loads a model.
   */
  safeToLoad: boolean;
  /** The framework the format implies when none is given (pickles imply none). */
  framework?: Framework;
}

const octets = 'application/octet-stream';
export const modelFileTypes: Readonly<Record<string, ModelFileType>> = {
  pkl: { contentType: octets, format: 'pickle', safeToLoad: false },
  pickle: { contentType: octets, format: 'pickle', safeToLoad: false },
  joblib: { contentType: octets, format: 'joblib', safeToLoad: false },
  h5: { contentType: 'application/x-hdf5', format: 'keras-h5', safeToLoad: false, framework: 'keras' },
  keras: { contentType: 'application/zip', format: 'keras', safeToLoad: false, framework: 'keras' },
  pt: { contentType: octets, format: 'pytorch', safeToLoad: false, framework: 'pytorch' },
  pth: { contentType: octets, format: 'pytorch', safeToLoad: false, framework: 'pytorch' },
  onnx: { contentType: octets, format: 'onnx', safeToLoad: true, framework: 'onnx' },
  safetensors: { contentType: octets, format: 'safetensors', safeToLoad: true },
  json: { contentType: 'application/json', format: 'xgboost-json', safeToLoad: true, framework: 'xgboost' },
  ubj: { contentType: 'application/ubjson', format: 'xgboost-ubj', safeToLoad: true, framework: 'xgboost' },
};

/** An MLflow model folder's descriptor file: a version holding one has format `mlflow`. */
export const MLFLOW_MODEL_FILE = 'MLmodel';

/**
 * Files a version may hold beside its model files, never as its first file: what an MLflow
 * folder, a tokenizer or a sharded checkpoint carries with the weights.
 */
export const modelSupportFileTypes: Readonly<Record<string, FileType>> = {
  yaml: { contentType: 'application/yaml' },
  yml: { contentType: 'application/yaml' },
  txt: { contentType: 'text/plain' },
  md: { contentType: 'text/markdown' },
  model: { contentType: octets },
  bin: { contentType: octets },
  npy: { contentType: octets },
  csv: { contentType: 'text/csv' },
};

export const modelName = matching(
  {
    pattern: KEY_NAME_PATTERN,
    message: 'name must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit.',
  },
  'invalid_name',
);

/** JSON-valued fields arrive as text in a form and as values in JSON bodies. */
function shape(json: 'text' | 'value') {
  const object = json === 'text' ? jsonText : jsonObject;
  return {
    dataset: datasetRef.describe('Dataset id or name; it must exist.').meta({ example: 'german-credit' }),
    datasetVersion: (json === 'text' ? versionRef : versionRefValue)
      .optional()
      .describe(
        'The dataset version trained on: a number, latest or an alias. Default: latest at upload; recorded as its number.',
      )
      // An empty example (an empty field is an absent one): else Swagger UI fills in a value made from the pattern.
      .meta({ example: json === 'text' ? '' : 3 }),
    name: modelName.meta({ example: 'xgboost' }),
    framework: z
      .enum(FRAMEWORKS)
      .optional()
      .describe('Default: the one the file format implies (xgboost for .json/.ubj, keras, pytorch, onnx), else other.'),
    metrics: object('metrics', metricsRule)
      .optional()
      .describe('JSON object of numbers.')
      .meta(json === 'text' ? {} : { propertyNames: { pattern: METRIC_NAME.source }, additionalProperties: { type: 'number' } })
      .meta({ example: json === 'text' ? '{"accuracy":0.95,"auc":0.91}' : { accuracy: 0.95, auc: 0.91 } }),
    params: object('params')
      .optional()
      .describe('JSON object.')
      .meta({ example: json === 'text' ? '{"max_depth":6,"n_estimators":400}' : { max_depth: 6, n_estimators: 400 } }),
    description: description.optional().meta({ example: 'XGBoost on the German credit data' }),
    tags: tags.optional().meta({ example: ['credit', 'xgboost'] }),
  };
}

/** The fields of POST /models (before or, for the descriptive ones, after the file). */
export const modelFields = z.object(shape('text'));
/** The same fields as the target of a direct upload. */
export const modelTarget = z.strictObject(shape('value'));
export const modelPatch = z
  .strictObject(shape('value'))
  .pick({ tags: true, metrics: true, params: true })
  .extend({
    description: description.nullable(),
  })
  .partial();

/** Fields that may also follow the file: they describe it, they do not place it. */
export const MODEL_LATE_FIELDS = ['framework', 'metrics', 'params', 'description', 'tags'] as const;

export const modelSortPattern = new RegExp(`^(createdAt|metrics\\.${METRIC_NAME.source.slice(1, -1)})$`);

export const modelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int().describe('1 + the highest version of this name for this dataset.'),
    framework: z.string(),
    format: z
      .string()
      .describe(
        'pickle, joblib, keras-h5, keras, pytorch, onnx, safetensors, xgboost-json, xgboost-ubj; mlflow for a version holding an MLmodel file.',
      ),
    safeToLoad: z
      .boolean()
      .describe(
        'false for pickle, joblib, PyTorch and Keras files (in any file of the version): loading them can execute arbitrary code. Load only files you trust. The server never loads a model.',
      ),
    metrics: z.record(z.string(), z.number()),
    params: z.record(z.string(), z.unknown()),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    ...versionFileFields,
    createdAt: z.string(),
    updatedAt: z.string(),
    dataset: pinnedDatasetSchema.describe('The exact dataset version it was trained on.'),
    dependants: z.object({ explanations: z.number().int() }),
    aliases: z
      .array(z.string())
      .optional()
      .describe('Aliases naming this version (PUT /datasets/{dataset}/models/{name}/aliases/{alias}); not in lists.'),
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
      state: 'ready',
      fileCount: 1,
      files: [
        {
          id: '7a3c9e10-2f4b-4d6a-8e15-0b9c7d2e4f61',
          path: 'xgboost_model.json',
          size: 412903,
          sha256: '3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7',
          contentType: 'application/json',
        },
      ],
      createdAt: '2026-11-28T11:02:44.512301Z',
      updatedAt: '2026-11-28T11:02:44.871020Z',
      dataset: {
        id: '6f1c2a7e-3b1d-4c55-9a0e-1d2f3c4b5a69',
        name: 'german-credit',
        version: 1,
        digest: '0f4c6f2d9a1e3b5c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9011223344a',
      },
      dependants: { explanations: 1 },
      aliases: ['production'],
      explanations: [{ id: '9c0f3e21-5d4b-4a8e-8f61-2e7d9b3c1a05', method: 'shap', createdAt: '2026-11-28T11:30:10.004512Z' }],
    },
  });

export type Model = z.infer<typeof modelSchema> &
  StoredVersion & {
    /** The value the listing was sorted by, when sorted by a metric. */
    sortValue?: number | null;
  };
export type ModelFieldValues = z.output<typeof modelFields>;
export type ModelTarget = z.output<typeof modelTarget>;
export type ModelPatch = z.output<typeof modelPatch>;
