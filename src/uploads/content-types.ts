/**
 * Allowed file types per resource kind, detected from the file name's extension (the
 * client's Content-Type of a part is not trusted). Anything else is 415 before a byte moves.
 */
import { AppError } from '../errors.ts';

export type ArtifactKind = 'dataset' | 'model' | 'explanation';

const datasetTypes: Record<string, string> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  parquet: 'application/vnd.apache.parquet',
  json: 'application/json',
  jsonl: 'application/jsonl',
  ndjson: 'application/jsonl',
  arrow: 'application/vnd.apache.arrow.file',
  feather: 'application/vnd.apache.arrow.file',
  zip: 'application/zip',
  gz: 'application/gzip',
};

const modelTypes: Record<string, string> = {
  pkl: 'application/octet-stream',
  pickle: 'application/octet-stream',
  joblib: 'application/octet-stream',
  h5: 'application/x-hdf5',
  keras: 'application/zip',
  onnx: 'application/octet-stream',
  json: 'application/json',
  ubj: 'application/ubjson',
  pt: 'application/octet-stream',
  pth: 'application/octet-stream',
  safetensors: 'application/octet-stream',
};

const explanationTypes: Record<string, string> = {
  pkl: 'application/octet-stream',
  pickle: 'application/octet-stream',
  npy: 'application/octet-stream',
  npz: 'application/zip',
  parquet: 'application/vnd.apache.parquet',
  json: 'application/json',
  html: 'text/html',
  png: 'image/png',
  svg: 'image/svg+xml',
  csv: 'text/csv',
};

export const allowedTypes: Record<ArtifactKind, Readonly<Record<string, string>>> = {
  dataset: datasetTypes,
  model: modelTypes,
  explanation: explanationTypes,
};

export function extensionOf(filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The content type stored and served for `filename`, or 415 unsupported_media_type. */
export function contentTypeFor(kind: ArtifactKind, filename: string): string {
  const extension = extensionOf(filename);
  const type = allowedTypes[kind][extension];
  if (!type) {
    throw new AppError(
      'unsupported_media_type',
      `${filename} is not an accepted ${kind} file; allowed extensions: ${Object.keys(allowedTypes[kind]).join(', ')}.`,
      { details: { allowedExtensions: Object.keys(allowedTypes[kind]) } },
    );
  }
  return type;
}
