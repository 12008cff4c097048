/**
 * What a direct upload fills: a dataset file, or a file of a model version or an explanation,
 * with the same field rules as their forms. A version of several files takes one session per
 * file, side by side: the first (type model or explanation) reserves the version and says how
 * many files it holds; each other one (model-file, explanation-file) names that version. The
 * version appears when the last of its files is verified.
 */
import { z } from 'zod';
import { explanationTarget } from '../explanations/schema.ts';
import { datasetRef, uuid } from '../fields/common.ts';
import { MAX_PATH_BYTES } from '../fields/paths.ts';
import { modelTarget } from '../models/schema.ts';
import { MAX_VERSION_FILES } from '../versions/schema.ts';

const filename = z
  .string()
  .min(1)
  .max(MAX_PATH_BYTES)
  .describe('The file name, e.g. model.json (its extension sets the type), or its path within the version, e.g. model/MLmodel.');
const files = z
  .number()
  .int()
  .min(1)
  .max(MAX_VERSION_FILES)
  .default(1)
  .describe('How many files the version holds; send the others as model-file / explanation-file uploads naming it.');
const path = z.string().min(1).max(MAX_PATH_BYTES).describe('Path of this file within the version, e.g. model/model.pkl.');
const pendingVersion = uuid.describe("The version's id: `artifactId` of its first upload session.");

export const uploadTarget = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('dataset-file'),
    dataset: datasetRef,
    path: z.string().min(1).max(MAX_PATH_BYTES).describe('Path inside the dataset, e.g. raw/train.csv.'),
    overwrite: z.boolean().default(false),
  }),
  modelTarget.extend({ type: z.literal('model'), filename, files }),
  explanationTarget.extend({ type: z.literal('explanation'), filename, files }),
  z.strictObject({ type: z.literal('model-file'), model: pendingVersion, path }),
  z.strictObject({ type: z.literal('explanation-file'), explanation: pendingVersion, path }),
]);

export type UploadTarget = z.output<typeof uploadTarget>;
