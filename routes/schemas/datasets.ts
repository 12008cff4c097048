import { z } from 'zod';
import { MAX_DESCRIPTION_LENGTH } from '../../src/uploads/form-fields.ts';
import { listQuery } from './common.ts';
import { profileSummarySchema } from './profiles.ts';

export const datasetFileSchema = z
  .object({
    id: z.string(),
    path: z.string().describe('Path inside the dataset, e.g. processed/train.parquet.'),
    size: z.number().int(),
    sha256: z.string(),
    contentType: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    profile: profileSummarySchema.describe('Rows and columns at a glance; the full profile at …/files/{fileId}/profile.'),
  })
  .meta({ id: 'DatasetFile' });

export const datasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    status: z.string().describe('Your label, e.g. raw or processed.'),
    createdAt: z.string(),
    updatedAt: z.string(),
    fileCount: z.number().int(),
    totalBytes: z.number().int(),
    dependants: z.object({ models: z.number().int(), explanations: z.number().int() }),
    files: z.array(datasetFileSchema).optional(),
  })
  .meta({
    id: 'Dataset',
    example: {
      id: '6f1c2a7e-3b1d-4c55-9a0e-1d2f3c4b5a69',
      name: 'german-credit',
      description: 'German credit (UCI)',
      tags: ['credit', 'tabular'],
      status: 'raw',
      createdAt: '2026-11-28T10:15:02.123456Z',
      updatedAt: '2026-11-28T10:15:02.987654Z',
      fileCount: 1,
      totalBytes: 79063,
      dependants: { models: 0, explanations: 0 },
      files: [
        {
          id: '0d6c7b1e-8f2a-4e3b-9c5d-7a1b2c3d4e5f',
          path: 'raw/german_credit.csv',
          size: 79063,
          sha256: '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4',
          contentType: 'text/csv',
          createdAt: '2026-11-28T10:15:02.123456Z',
          updatedAt: '2026-11-28T10:15:02.987654Z',
          profile: { status: 'complete', format: 'csv', rows: 1000, columns: 21 },
        },
      ],
    },
  });

export const datasetPageSchema = z.object({ items: z.array(datasetSchema), nextCursor: z.string().nullable() });

export const datasetParams = z.object({ dataset: z.string().min(1).max(100).describe('Dataset id or name.') });

export const listDatasetsQuery = z.strictObject({
  ...listQuery,
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(63).optional().describe('Name contains.'),
});

export const datasetPatchSchema = z.strictObject({
  description: z.string().max(MAX_DESCRIPTION_LENGTH).nullable().optional(),
  tags: z.array(z.string().max(64)).max(50).optional(),
  status: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
    .optional(),
});

// One binary property (not an array): Swagger UI renders a file picker only for that. The API
// takes any number of parts named `file`; repeat the part to send several.
const fileParts = {
  type: 'string',
  format: 'binary',
  contentMediaType: 'application/octet-stream',
  description: 'A file part; its filename is the path inside the dataset (e.g. raw/train.csv). Repeat the part for more files.',
} as const;
// An empty example: otherwise Swagger UI fills the form with a random value matching the pattern.
export const sha256Field = {
  type: 'string',
  // Empty is allowed: an empty field is an absent one (forms send every field).
  pattern: '^([0-9a-fA-F]{64})?$',
  example: '',
  description: 'Optional: SHA-256 (hex) of the file part that follows; a mismatch is 422 checksum_mismatch.',
} as const;

/** OpenAPI description of POST /datasets (parts in this order: fields, then files). */
export const createDatasetForm = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
      description: 'Unique among your datasets.',
      example: 'german-credit',
    },
    description: { type: 'string', maxLength: MAX_DESCRIPTION_LENGTH, example: 'German credit (UCI)' },
    tags: {
      type: 'array',
      items: { type: 'string' },
      description: 'Repeat the field or separate with commas.',
      example: ['credit', 'tabular'],
    },
    status: { type: 'string', description: 'Your label, e.g. raw or processed (default raw).', example: 'raw' },
    sha256: sha256Field,
    file: fileParts,
  },
} as const;

/** OpenAPI description of POST /datasets/{dataset}/files. */
export const addFilesForm = {
  type: 'object',
  required: ['file'],
  properties: { sha256: sha256Field, file: fileParts },
} as const;
