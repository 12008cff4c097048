/**
 * Object keys: human readable, built only from validated values, and carrying the row's id so
 * that an overwrite or a retry never writes to a key that was used before.
 */
export function datasetFileKey(datasetName: string, fileId: string, path: string): string {
  return `datasets/${datasetName}/${fileId}/${path}`;
}

/** Every prefix this API writes under; anything else in the bucket is not ours. */
export const MANAGED_PREFIXES = ['datasets/', 'models/', 'explanations/'] as const;

/** `{version}` is filled in by the database, which allocates the version. */
export function modelKeyTemplate(datasetName: string, modelName: string, modelId: string, filename: string): string {
  return `models/${datasetName}/${modelName}/v{version}-${modelId}/${filename}`;
}

/** `{dataset}` and `{model}` (name-vN) are filled in by the database, which resolves the model. */
export function explanationKeyTemplate(method: string, id: string, filename: string): string {
  return `explanations/{dataset}/{model}/${method}/${id}/${filename}`;
}
