/**
 * The JSON a client sends as a model's metrics and params or an explanation's params and
 * summary keeps its key order (a SHAP summary listed by importance stays so). Postgres stores
 * it as `json`, which keeps the text; a jsonb record would reorder it, so the SQL records carry
 * these fields as their JSON text and this turns the text back into values, in order.
 *
 * One limit no JavaScript object escapes: keys that are array indices ("0", "12") come first,
 * in ascending order, in any object (JSON.parse included), whatever order the text had.
 */
type ClientJsonField = 'metrics' | 'params' | 'summary';

/** Parses the named fields a SQL record carried as JSON text; leaves values already parsed. */
export function withClientJson<T>(record: T, fields: readonly ClientJsonField[]): T {
  if (record === null || typeof record !== 'object') return record;
  const fixed = record as Record<string, unknown>;
  for (const field of fields) {
    const value = fixed[field];
    if (typeof value === 'string') fixed[field] = JSON.parse(value);
  }
  return record;
}

export const MODEL_JSON_FIELDS = ['metrics', 'params'] as const;
export const EXPLANATION_JSON_FIELDS = ['params', 'summary'] as const;
