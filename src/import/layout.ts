/**
 * The platform's storage layout before this API (what its boto3 R2StorageClient wrote, in
 * Railway's folder, Supabase Storage or an R2 bucket) and what each key becomes here. The
 * Python client's compat layer (python/xai_artifacts/layout.py) reads the same layout:
 *
 *   datasets/{dataset}/{path}             a file of dataset {dataset}, at {path}
 *   models/{dataset}/{model}_v{N}.{ext}   version N of model {model} of {dataset}
 *   models/{dataset}/{model}.{ext}        version 1 of model {model}
 *   explanations/{dataset}/{path}         an explanation of the dataset's latest model
 */
import { datasetFileTypes } from '../datasets/schema.ts';
import { explanationFileTypes } from '../explanations/schema.ts';
import { KEY_NAME_PATTERN } from '../fields/common.ts';
import { modelFileTypes } from '../models/schema.ts';

export const LAYOUT =
  'datasets/{dataset}/{path}, models/{dataset}/{model}_v{N}.{ext} (or {model}.{ext}), explanations/{dataset}/{path}';

export type Mapped =
  | { kind: 'dataset-file'; dataset: string; path: string }
  | { kind: 'model'; dataset: string; name: string; version: number; filename: string }
  | { kind: 'explanation'; dataset: string; path: string; method: string };

export type Classified = Mapped | { kind: 'unmapped'; reason: string };

const DATASET_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;
const VERSIONED = /^(?<model>.+?)_v(?<version>\d{1,9})\.(?<ext>[A-Za-z0-9]+)$/;
const PLAIN = /^(?<model>[^/]+?)\.(?<ext>[A-Za-z0-9]+)$/;

/** A folder name as a dataset name: as it is when valid, else lowercased with _ . and spaces as hyphens. */
export function datasetName(raw: string): string | undefined {
  if (DATASET_NAME.test(raw) && !UUID.test(raw)) return raw;
  const name = raw
    .trim()
    .toLowerCase()
    .replace(/[_.\s]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return DATASET_NAME.test(name) && !UUID.test(name) ? name : undefined;
}

function extension(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

/** What a key (relative to the source's root) becomes, or why it becomes nothing. */
export function classify(key: string): Classified {
  const segments = key.split('/');
  if (segments.length < 3 || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return { kind: 'unmapped', reason: `not inside a dataset's folder (${LAYOUT})` };
  }
  const [kind, rawDataset, ...restSegments] = segments as [string, string, ...string[]];
  const rest = restSegments.join('/');
  const dataset = datasetName(rawDataset);
  if (kind !== 'datasets' && kind !== 'models' && kind !== 'explanations') {
    return { kind: 'unmapped', reason: `starts with ${kind}/, not datasets/, models/ or explanations/ (${LAYOUT})` };
  }
  if (!dataset) return { kind: 'unmapped', reason: `${JSON.stringify(rawDataset)} cannot be a dataset name` };
  const ext = extension(rest);
  if (kind === 'datasets') {
    if (!Object.hasOwn(datasetFileTypes, ext)) {
      return {
        kind: 'unmapped',
        reason: `.${ext || '(none)'} is not a dataset file type (${Object.keys(datasetFileTypes).join(', ')})`,
      };
    }
    return { kind: 'dataset-file', dataset, path: rest };
  }
  if (kind === 'explanations') {
    if (!Object.hasOwn(explanationFileTypes, ext)) {
      return { kind: 'unmapped', reason: `.${ext || '(none)'} is not an explanation file type` };
    }
    const method = /lime/i.test(rest.slice(rest.lastIndexOf('/') + 1)) ? 'lime' : 'shap';
    return { kind: 'explanation', dataset, path: rest, method };
  }
  if (restSegments.length !== 1) return { kind: 'unmapped', reason: 'a model file sits directly in models/{dataset}/' };
  const match = VERSIONED.exec(rest) ?? PLAIN.exec(rest);
  const model = match?.groups?.model?.toLowerCase();
  if (!match || !model || !KEY_NAME_PATTERN.test(model)) {
    return {
      kind: 'unmapped',
      reason: 'a model file is {model}_v{N}.{ext} or {model}.{ext}, {model} of letters, digits, _ and -',
    };
  }
  if (!Object.hasOwn(modelFileTypes, ext)) return { kind: 'unmapped', reason: `.${ext} is not a model file type` };
  const version = match.groups?.version ? Number(match.groups.version) : 1;
  if (version < 1) return { kind: 'unmapped', reason: 'model versions start at 1' };
  return { kind: 'model', dataset, name: model, version, filename: `${model}.${ext}` };
}
