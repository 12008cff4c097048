/**
 * A dataset's rules, in one place: its fields (for the multipart form, PATCH and direct
 * uploads), the file types it accepts, and the record the API answers with. Types, validation
 * and OpenAPI all come from these schemas; SQL keeps its CHECK constraints as the last line.
 */
import { z } from 'zod';
import { description, status, tags, UUID_PATTERN } from '../fields/common.ts';
import type { FileType } from '../fields/file-types.ts';
import { matching } from '../fields/problems.ts';
import { profileSummarySchema } from '../profiles/profile.ts';

export const DATASET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A slug, and never uuid-shaped: ids and names share the URL slot. */
export const datasetName = matching(
  {
    pattern: DATASET_NAME_PATTERN,
    test: (value) => DATASET_NAME_PATTERN.test(value) && !UUID_PATTERN.test(value),
    message: 'name must be 1-63 lowercase letters, digits or hyphens, starting with a letter or digit (and not a uuid).',
  },
  'invalid_name',
);

/** The fields of POST /datasets (before its files). */
export const datasetFields = z.object({
  name: datasetName.describe('Unique among your datasets.').meta({ example: 'german-credit' }),
  description: description.optional().meta({ example: 'German credit (UCI)' }),
  tags: tags.optional().meta({ example: ['credit', 'tabular'] }),
  status: status.optional().describe('Your label, e.g. raw or processed (default raw).').meta({ example: 'raw' }),
});

/** Fields that may also follow the files: they describe the dataset, the name places the files. */
export const DATASET_LATE_FIELDS = ['description', 'tags', 'status'] as const;

export const datasetPatch = z
  .strictObject({
    description: description.nullable(),
    tags,
    status,
  })
  .partial();

export const datasetFileTypes: Readonly<Record<string, FileType>> = {
  csv: { contentType: 'text/csv' },
  tsv: { contentType: 'text/tab-separated-values' },
  parquet: { contentType: 'application/vnd.apache.parquet' },
  json: { contentType: 'application/json' },
  jsonl: { contentType: 'application/jsonl' },
  ndjson: { contentType: 'application/jsonl' },
  arrow: { contentType: 'application/vnd.apache.arrow.file' },
  feather: { contentType: 'application/vnd.apache.arrow.file' },
  zip: { contentType: 'application/zip' },
  gz: { contentType: 'application/gzip' },
};

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
    version: z.number().int().nullable().describe('The latest version (its files are `files`); null until the first file.'),
    digest: z.string().nullable().describe("The latest version's digest (see GET /datasets/{dataset}/versions/{ref})."),
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
      version: 1,
      digest: '0f4c6f2d9a1e3b5c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9011223344a',
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

const DIGEST_RULE =
  'SHA-256 (hex) of the canonical manifest: the JSON array of {"path","sha256","size"} objects of the version\'s files, ' +
  'sorted by path in code-point order, keys in that order, no whitespace, UTF-8.';

/** A dataset version's file: as on the dataset, immutable (an overwrite makes a new file with a new id). */
export const datasetVersionFileSchema = z
  .object({
    id: z.string(),
    path: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    contentType: z.string(),
    profile: profileSummarySchema,
    url: z.string().optional().describe('With links=true: a signed download URL.'),
    expiresAt: z.string().optional(),
  })
  .meta({ id: 'DatasetVersionFile' });

export const datasetVersionSchema = z
  .object({
    version: z.number().int(),
    digest: z.string().describe(DIGEST_RULE),
    fileCount: z.number().int(),
    size: z.number().int().describe('Bytes of all its files.'),
    createdAt: z.string(),
    createdBy: z.string(),
    aliases: z.array(z.string()).describe('Dataset aliases naming this version.'),
    files: z.array(datasetVersionFileSchema).optional(),
  })
  .meta({ id: 'DatasetVersion' });

/** The exact dataset bytes a model or explanation came from. */
export const pinnedDatasetSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    version: z.number().int().nullable().describe('Null only when the dataset had no file when this was uploaded.'),
    digest: z.string().nullable(),
  })
  .meta({ id: 'PinnedDataset' });

/** What the store keeps beside what the API shows. */
interface Stored {
  ownerId: string;
  state: 'pending' | 'ready';
}

export type DatasetFile = z.infer<typeof datasetFileSchema> &
  Omit<Stored, 'ownerId'> & {
    datasetId: string;
    etag: string | null;
    objectKey: string;
  };
export type Dataset = Omit<z.infer<typeof datasetSchema>, 'files'> & Stored & { files?: DatasetFile[] };
export type DatasetFieldValues = z.output<typeof datasetFields>;
export type DatasetPatch = z.output<typeof datasetPatch>;
export type DatasetVersionFile = z.infer<typeof datasetVersionFileSchema> & { objectKey: string };
export type DatasetVersion = Omit<z.infer<typeof datasetVersionSchema>, 'files'> & { files?: DatasetVersionFile[] };
