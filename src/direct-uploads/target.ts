/** What a direct upload fills: a dataset file, a model or an explanation, with the same field rules as their forms. */
import { z } from 'zod';
import { explanationTarget } from '../explanations/schema.ts';
import { datasetRef } from '../fields/common.ts';
import { MAX_PATH_BYTES } from '../fields/paths.ts';
import { modelTarget } from '../models/schema.ts';

const filename = z.string().min(1).max(255).describe('The file name, e.g. model.json; its extension sets the type.');

export const uploadTarget = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('dataset-file'),
    dataset: datasetRef,
    path: z.string().min(1).max(MAX_PATH_BYTES).describe('Path inside the dataset, e.g. raw/train.csv.'),
    overwrite: z.boolean().default(false),
  }),
  modelTarget.extend({ type: z.literal('model'), filename }),
  explanationTarget.extend({ type: z.literal('explanation'), filename }),
]);

export type UploadTarget = z.output<typeof uploadTarget>;
