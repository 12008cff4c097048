/** Route schemas of dataset versions, lineage and aliases; their shapes: src/datasets, src/lineage, src/aliases. */
import { z } from 'zod';
import { aliasEventSchema } from '../../src/aliases/schema.ts';
import { datasetVersionSchema } from '../../src/datasets/schema.ts';
import { aliasName, versionRef } from '../../src/fields/common.ts';
import { modelName } from '../../src/models/schema.ts';
import { booleanQuery, downloadQuery, listQuery } from './common.ts';
import { datasetParams } from './datasets.ts';

export const datasetVersionParams = datasetParams.extend({ ref: versionRef });
export const datasetVersionPageSchema = z.object({ items: z.array(datasetVersionSchema), nextCursor: z.string().nullable() });
export const datasetVersionQuery = downloadQuery
  .omit({ redirect: true })
  .extend({ links: booleanQuery.describe('true: each file with a signed download URL (url, expiresAt).') });

export const modelNameParams = datasetParams.extend({ name: modelName });
export const modelVersionParams = modelNameParams.extend({ ref: versionRef });
export const datasetAliasParams = datasetParams.extend({ alias: aliasName });
export const modelAliasParams = modelNameParams.extend({ alias: aliasName });

export const aliasHistoryQuery = z.strictObject({
  ...listQuery,
  at: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only moves at or before this instant: the first item is what the alias named then.'),
});
export const aliasHistorySchema = z.object({ items: z.array(aliasEventSchema), nextCursor: z.string().nullable() });
