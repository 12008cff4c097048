/**
 * Object keys: human readable, built only from validated values, and carrying the row's id so
 * that an overwrite or a retry never writes to a key that was used before.
 */
export function datasetFileKey(datasetName: string, fileId: string, path: string): string {
  return `datasets/${datasetName}/${fileId}/${path}`;
}

/** Every prefix this API writes under; anything else in the bucket is not ours. */
export const MANAGED_PREFIXES = ['datasets/', 'models/', 'explanations/'] as const;
