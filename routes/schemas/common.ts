/** Schemas shared by every resource's routes. */
import { z } from 'zod';
import { MAX_DOWNLOAD_TTL_SECONDS } from '../../src/config.ts';
import { uuid } from '../../src/fields/common.ts';

export const uuidParam = uuid;
const flag = z
  .enum(['true', 'false'])
  .default('false')
  .transform((value) => value === 'true');
export const booleanQuery = flag;

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    code: z.string().describe('Stable, machine-readable error code, e.g. file_exists.'),
    detail: z.string(),
    requestId: z.string(),
  })
  .loose()
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details (application/problem+json).',
    example: {
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      code: 'file_exists',
      detail: 'The dataset already has a file at raw/train.csv; add ?overwrite=true to replace it.',
      requestId: '0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11',
    },
  });

export const listQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, 1 to 100.'),
  cursor: z.string().max(512).optional().describe('nextCursor of the previous page.'),
};

export const downloadQuery = z.strictObject({
  redirect: flag.describe('true: answer 302 to the URL instead of JSON.'),
  expiresIn: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_DOWNLOAD_TTL_SECONDS)
    .optional()
    .describe(`Seconds the URL stays valid, 1 to ${MAX_DOWNLOAD_TTL_SECONDS}; default 900.`),
});

export const downloadLinkSchema = z
  .object({
    url: z.string().describe('Fetch this URL directly; the bytes never pass through the API.'),
    expiresAt: z.string(),
    filename: z.string(),
    size: z.number().int().nonnegative(),
    sha256: z.string(),
    contentType: z.string(),
  })
  .meta({
    id: 'DownloadLink',
    example: {
      url: 'https://xai-artifacts.0123456789abcdef.r2.cloudflarestorage.com/datasets/german-credit/0d6c7b1e-8f2a-4e3b-9c5d-7a1b2c3d4e5f/raw/german_credit.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature=…',
      expiresAt: '2026-11-28T10:30:02.000Z',
      filename: 'german_credit.csv',
      size: 79063,
      sha256: '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4',
      contentType: 'text/csv',
    },
  });

// An empty example: otherwise Swagger UI fills the form with a random value matching the pattern.
const sha256Field = {
  type: 'string',
  // Empty is allowed: an empty field is an absent one (forms send every field).
  pattern: '^([0-9a-fA-F]{64})?$',
  example: '',
  description: 'Optional: SHA-256 (hex) of the file part that follows; a mismatch is 422 checksum_mismatch.',
} as const;

/**
 * The OpenAPI form of a multipart upload, generated from the resource's field schema (the
 * rules the core validates the form with), with its sha256 and file parts. One binary
 * property, not an array: Swagger UI renders a file picker only for that; repeat the part to
 * send several files.
 */
// Swagger UI sends a picked file under its own name, with no way to set the part's filename:
// this field names the path of the next file part instead (datasets only).
const pathField = {
  type: 'string',
  example: '',
  description:
    "Optional: the path inside the dataset of the file part that follows (e.g. raw/train.csv); without it, the part's filename is its path.",
} as const;

export function multipartForm(fields: z.ZodObject, file: { description: string; required: boolean; paths?: boolean }) {
  const { properties = {}, required = [] } = z.toJSONSchema(fields, { io: 'input' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return {
    type: 'object',
    required: file.required ? [...required, 'file'] : required,
    properties: {
      ...properties,
      sha256: sha256Field,
      ...(file.paths ? { path: pathField } : {}),
      file: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description: file.description },
    },
  };
}
