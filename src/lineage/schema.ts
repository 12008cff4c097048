/**
 * Lineage answers: what was made from one dataset version, and where a model came from. Each
 * names datasets by the exact version pinned (id, name, version, digest).
 */
import { z } from 'zod';
import { datasetVersionFileSchema, pinnedDatasetSchema } from '../datasets/schema.ts';
import { explanationSchema } from '../explanations/schema.ts';
import { modelSchema } from '../models/schema.ts';

export const datasetVersionLineageSchema = z
  .object({
    dataset: pinnedDatasetSchema,
    models: z.array(modelSchema).describe('Ready models trained on this version, by name and version.'),
    explanations: z.array(explanationSchema).describe('Ready explanations of this version, oldest first.'),
  })
  .meta({ id: 'DatasetVersionLineage' });

export const modelLineageSchema = z
  .object({
    model: z.object({ id: z.string(), name: z.string(), version: z.number().int() }),
    dataset: pinnedDatasetSchema.extend({
      files: z.array(datasetVersionFileSchema).describe('The files of the pinned version, by path.'),
    }),
    explanations: z.array(explanationSchema).describe("The model's ready explanations, newest first."),
  })
  .meta({ id: 'ModelLineage' });

export type DatasetVersionLineage = z.infer<typeof datasetVersionLineageSchema>;
export type ModelLineage = z.infer<typeof modelLineageSchema>;
