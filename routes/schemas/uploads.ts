/** Schemas of the direct-upload routes (/uploads). */
import { z } from 'zod';
import { datasetSchema } from '../../src/datasets/schema.ts';
import { MAX_PART_URL_TTL_SECONDS, MAX_PARTS_PER_REQUEST } from '../../src/direct-uploads/direct-upload-service.ts';
import { MAX_PART_BYTES, MAX_PART_COUNT, MIN_PART_BYTES } from '../../src/direct-uploads/part-plan.ts';
import { uploadTarget } from '../../src/direct-uploads/target.ts';
import { explanationSchema } from '../../src/explanations/schema.ts';
import { modelSchema } from '../../src/models/schema.ts';
import { uuidParam } from './common.ts';

export const openUploadBody = z
  .strictObject({
    target: uploadTarget,
    size: z.number().int().min(1).describe('Exact size of the file in bytes.'),
    sha256: z.string().max(64).optional().describe('Hex SHA-256 of the whole file; verified before the record is ready.'),
    contentType: z.string().max(255).optional().describe('Ignored: the stored type follows the extension.'),
    partSize: z
      .number()
      .int()
      .min(MIN_PART_BYTES)
      .max(MAX_PART_BYTES)
      .optional()
      .describe(
        `Part size to use (e.g. your uploader's chunk size); raised when the file would need over ${MAX_PART_COUNT} parts.`,
      ),
  })
  .meta({
    example: {
      target: { type: 'dataset-file', dataset: 'ieee-cis-fraud', path: 'raw/train_transaction.csv', overwrite: false },
      size: 1_396_112_412,
      sha256: '5f7c1b0d3b8e0e1d6a5f1c9a8f5e2b7c4d3a2e1f0b9c8d7e6f5a4b3c2d1e0f9a',
    },
  });

const signedPartSchema = z.object({
  partNumber: z.number().int(),
  url: z.string().describe('PUT the part bytes here, with `headers`.'),
  headers: z.record(z.string(), z.string()).describe('Headers to send as they are (they are signed).'),
  expiresAt: z.string(),
});

export const uploadSessionSchema = z
  .object({
    id: z.string(),
    state: z.enum(['uploading', 'verifying', 'ready', 'failed', 'aborted']),
    target: z.record(z.string(), z.unknown()),
    artifactId: z
      .string()
      .describe(
        'The dataset, model version or explanation the file goes into: a version of several files names it in the targets of its other files.',
      ),
    size: z.number().int(),
    sha256: z.string().nullable(),
    contentType: z.string(),
    partSize: z.number().int(),
    partCount: z.number().int(),
    expiresAt: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    uploadedParts: z.array(z.object({ partNumber: z.number().int(), size: z.number().int(), etag: z.string() })),
    parts: z.array(signedPartSchema).optional().describe('URLs for the first parts (new sessions only).'),
    result: z
      .union([datasetSchema, modelSchema, explanationSchema])
      .optional()
      .describe('When ready: what the multipart/form-data upload of the same file answers.'),
    problem: z
      .object({ code: z.string(), detail: z.string() })
      .loose()
      .nullable()
      .optional()
      .describe('When failed: why (e.g. checksum_mismatch).'),
  })
  .meta({ id: 'UploadSession' });

export const uploadParams = z.object({ id: uuidParam });

export const partsBody = z.strictObject({
  partNumbers: z.array(z.number().int().min(1).max(MAX_PART_COUNT)).min(1).max(MAX_PARTS_PER_REQUEST),
  sha256: z
    .record(z.string().regex(/^\d{1,5}$/), z.string().max(64))
    .optional()
    .describe("Base64 SHA-256 per part number: signed into that part's URL, so the store refuses other bytes."),
  expiresIn: z
    .number()
    .int()
    .min(1)
    .max(MAX_PART_URL_TTL_SECONDS)
    .optional()
    .describe('Seconds the URLs stay valid (default 900).'),
});

export const partsAnswer = z.object({ parts: z.array(signedPartSchema) });
