/**
 * Object keys are built in one place: the SQL functions that reserve rows
 * (supabase/sql/, the `xai_*_key` functions), from the row's id and validated names. This is
 * every prefix they write under; anything else in the bucket is not ours.
 */
export const MANAGED_PREFIXES = ['datasets/', 'models/', 'explanations/'] as const;
