/** Metadata in PGlite (Postgres compiled to WASM): the embedded default, on disk or in memory. */
import { PGlite } from '@electric-sql/pglite';
import { fromDatabaseError } from './database-errors.ts';
import { applyMigrations } from './migrations.ts';
import { asText, functionCallSql, type SqlArgument, type SqlFunctionCaller } from './sql-caller.ts';

export class PgliteCaller implements SqlFunctionCaller {
  readonly kind = 'pglite';
  readonly #db: PGlite;

  /** `dataDir` undefined: in memory (tests). */
  private constructor(db: PGlite) {
    this.#db = db;
  }

  static async open(dataDir: string | undefined): Promise<PgliteCaller> {
    const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
    return new PgliteCaller(db);
  }

  async migrate(): Promise<string[]> {
    try {
      return await applyMigrations((work) =>
        this.#db.transaction((tx) =>
          work({
            exec: async (script) => {
              await tx.exec(script);
            },
            query: async (text, params = []) => (await tx.query<Record<string, unknown>>(text, params)).rows,
          }),
        ),
      );
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  async call<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    const { text, values } = functionCallSql(fn, args);
    try {
      const result = await this.#db.query<{ result: T }>(text, values.map(asText));
      return result.rows[0]?.result as T;
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  async check(): Promise<void> {
    try {
      await this.#db.query('select 1');
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  async close(): Promise<void> {
    if (!this.#db.closed) await this.#db.close();
  }

  /** For tests: run a query against the same database. */
  async query<R>(text: string, params: unknown[] = []): Promise<R[]> {
    return (await this.#db.query<R>(text, params)).rows;
  }
}

function asMetadataError(error: unknown): Error {
  const fields = error as { code?: string; message?: string; detail?: string };
  return fromDatabaseError(error, { code: fields?.code, message: fields?.message, detail: fields?.detail });
}
