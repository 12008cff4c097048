/** Route schemas of /datasets; the dataset's own rules and shape: src/datasets/schema.ts. */
import { z } from 'zod';
import { datasetFields, datasetSchema } from '../../src/datasets/schema.ts';
import { datasetRef } from '../../src/fields/common.ts';
import { listQuery, multipartForm } from './common.ts';

export const datasetPageSchema = z.object({ items: z.array(datasetSchema), nextCursor: z.string().nullable() });

export const datasetParams = z.object({ dataset: datasetRef });

export const listDatasetsQuery = z.strictObject({
  ...listQuery,
  tag: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(63).optional().describe('Name contains.'),
});

const filePart = {
  description: 'A file part; its filename is the path inside the dataset (e.g. raw/train.csv). Repeat the part for more files.',
};

/** OpenAPI description of POST /datasets (parts in this order: fields, then files). */
export const createDatasetForm = multipartForm(datasetFields, { ...filePart, required: false, paths: true });

/** OpenAPI description of POST /datasets/{dataset}/files. */
export const addFilesForm = multipartForm(z.object({}), { ...filePart, required: true, paths: true });
