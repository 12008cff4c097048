/** Metadata over a Postgres server (DATABASE_URL, e.g. Supabase's pooler) with the `postgres` package. */
import postgres from 'postgres';
import { CoalescedReads } from './coalesced-reads.ts';
import { fromDatabaseError } from './database-errors.ts';
import { applyMigrations } from './migrations.ts';
import { functionCallSql, type SqlArgument, type SqlFunctionCaller } from './sql-caller.ts';

/**
 * Timestamps cross as text, both ways. postgres.js's default turns a timestamptz parameter into
 * a JavaScript Date, which keeps milliseconds only: a keyset cursor's microsecond timestamp
 * then skips or repeats the rows around it. Postgres parses the ISO string itself, exactly.
 */
const exactTimestamps = {
  to: 1184,
  from: [1082, 1114, 1184],
  serialize: (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)),
  parse: (value: string) => value,
};

export class PostgresCaller implements SqlFunctionCaller {
  readonly shared = true;
  readonly #sql: postgres.Sql;
  /**
   * Lookups called at once share a statement. Lists are never marked as lookups: each costs
   * milliseconds of the server's CPU, next to which a statement's overhead is nothing, and
   * combined they would run one after another in one backend instead of side by side
   * (measured: GET /datasets p99 85–105 ms alone, 248 ms combined).
   */
  readonly #reads: CoalescedReads;

  /**
   * `prepare`: named prepared statements, kept per connection (one round trip a call; without
   * them postgres.js describes every parameterized statement first, a second round trip). Off
   * unless asked: Supabase's transaction pooler (port 6543) cannot keep them; the configuration
   * turns them on where they can be kept (DATABASE_PREPARED_STATEMENTS).
   */
  constructor(url: string, options: { max?: number; prepare?: boolean } = {}) {
    this.#sql = postgres(url, {
      max: options.max ?? 10,
      prepare: options.prepare ?? false,
      connect_timeout: 10,
      idle_timeout: 60,
      onnotice: () => {},
      connection: { application_name: 'xai-artifact-api' },
      types: { timestamptz: exactTimestamps },
    });
    this.#reads = new CoalescedReads({
      single: (fn, args) => this.#callAlone(fn, args),
      combined: async (text, values) => (await this.#sql.unsafe(text, encodeValues(this.#sql, values)))[0],
    });
  }

  async migrate(): Promise<string[]> {
    try {
      return await applyMigrations(
        (work) =>
          this.#sql.begin((tx) =>
            work({
              exec: async (script) => {
                await tx.unsafe(script);
              },
              query: async (text, params = []) => [...(await tx.unsafe(text, params))],
            }),
          ) as never,
      );
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  call<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    return this.#callAlone<T>(fn, args);
  }

  lookup<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    return this.#reads.call<T>(fn, args);
  }

  async #callAlone<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    const { text, values } = functionCallSql(fn, args);
    try {
      const rows = await this.#sql.unsafe(text, encodeValues(this.#sql, values));
      return rows[0]?.result as T;
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  async check(): Promise<void> {
    try {
      await this.#sql`select 1`;
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}

/**
 * postgres.js learns each parameter's type from the server and encodes by it. Arrays go as
 * JSON helpers (every array parameter is jsonb); objects go as they are, because some
 * parameters are `json` (client JSON whose key order is kept) and a JSON helper would type them
 * jsonb, which no function declares there. Strings are never pre-encoded JSON (one would be
 * encoded again, as a string scalar); the rest go as they are (its bool encoder, for one,
 * expects a real boolean).
 */
export function encodeValues(sql: postgres.Sql, values: SqlArgument[]): postgres.ParameterOrJSON<never>[] {
  return values.map((value) => {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return sql.json(value as postgres.JSONValue);
    return value;
  }) as postgres.ParameterOrJSON<never>[];
}

function asMetadataError(error: unknown): Error {
  const fields = error as { code?: string; message?: string; detail?: string };
  return fromDatabaseError(error, { code: fields?.code, message: fields?.message, detail: fields?.detail });
}
