/**
 * The one thing a metadata adapter does: call a SQL function of supabase/sql with named
 * arguments and hand back its jsonb result. Postgres and PGlite run `select fn(a => $1, ...)`;
 * Supabase posts the same arguments to PostgREST's /rpc/fn. Everything else is in SQL.
 */
export type SqlArgument = string | number | boolean | null | undefined | readonly unknown[] | Record<string, unknown>;

export interface SqlFunctionCaller {
  /** Whether other processes may use the same database (Postgres, Supabase), not PGlite's one process. */
  readonly shared: boolean;
  call<T>(fn: string, args: Record<string, SqlArgument>): Promise<T>;
  /**
   * The same, for a lookup of one record by its key through a function that cannot write
   * (stable): lookups made at once may share one statement (Postgres). The callers mark them.
   */
  lookup<T>(fn: string, args: Record<string, SqlArgument>): Promise<T>;
  /** Throws metadata_unavailable when the database cannot be reached (for /ready). */
  check(): Promise<void>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * `select fn(a => $1, b => $2) as result`; Postgres resolves each parameter to the type the
 * function declares (jsonb, uuid, bigint...). Values come back as given, for the driver to
 * encode (see `asText`). Function and argument names are this project's constants, checked anyway.
 */
export function functionCallSql(fn: string, args: Record<string, SqlArgument>): { text: string; values: SqlArgument[] } {
  const { expression, values } = functionCallExpression(fn, args, 0);
  return { text: `select ${expression} as result`, values };
}

/**
 * Several calls of one function in one statement, `select fn(a => $1) as r0, fn(a => $2) as r1`:
 * one row whose column `r{i}` is the result of `calls[i]`.
 */
export function combinedCallSql(
  fn: string,
  calls: readonly Record<string, SqlArgument>[],
): { text: string; values: SqlArgument[] } {
  const values: SqlArgument[] = [];
  const columns = calls.map((args, index) => {
    const call = functionCallExpression(fn, args, values.length);
    values.push(...call.values);
    return `${call.expression} as r${index}`;
  });
  return { text: `select ${columns.join(', ')}`, values };
}

function functionCallExpression(
  fn: string,
  args: Record<string, SqlArgument>,
  offset: number,
): { expression: string; values: SqlArgument[] } {
  if (!IDENTIFIER.test(fn)) throw new Error(`Bad SQL function name ${fn}`);
  const names = Object.keys(args).filter((name) => args[name] !== undefined);
  const placeholders = names.map((name, index) => {
    if (!IDENTIFIER.test(name)) throw new Error(`Bad SQL argument name ${name}`);
    return `${name} => $${offset + index + 1}`;
  });
  return { expression: `${fn}(${placeholders.join(', ')})`, values: names.map((name) => args[name]) };
}

/** Text encoding of a value for drivers that send parameters as untyped text (PGlite). */
export function asText(value: SqlArgument): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
