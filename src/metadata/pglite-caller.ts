/** Metadata in PGlite (Postgres compiled to WASM): the embedded default, on disk or in memory. */
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';
import { fromDatabaseError } from './database-errors.ts';
import { compilePgliteWasm, migratePglite, PGLITE_START_PARAMS, pgliteInMemory, seedFromTemplate } from './pglite-template.ts';
import { asText, functionCallSql, type SqlArgument, type SqlFunctionCaller } from './sql-caller.ts';

export class PgliteCaller implements SqlFunctionCaller {
  readonly shared = false;
  readonly #db: PGlite;
  readonly #unlock: (() => Promise<void>) | undefined;

  /** `dataDir` undefined: in memory (tests). */
  private constructor(db: PGlite, unlock?: () => Promise<void>) {
    this.#db = db;
    this.#unlock = unlock;
  }

  /** On disk, the folder is this process's alone until close (DataDirInUse otherwise). */
  static async open(dataDir: string | undefined): Promise<PgliteCaller> {
    if (!dataDir) return new PgliteCaller(await pgliteInMemory());
    // Compiled while the folder is locked and seeded.
    const compiling = compilePgliteWasm();
    const unlock = await lockDataDir(dataDir);
    try {
      await seedFromTemplate(dataDir);
      const pgliteWasmModule = await compiling;
      const options = { startParams: PGLITE_START_PARAMS, ...(pgliteWasmModule ? { pgliteWasmModule } : {}) };
      return new PgliteCaller(await PGlite.create(dataDir, options), unlock);
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  async migrate(): Promise<string[]> {
    try {
      return await migratePglite(this.#db);
    } catch (error) {
      throw asMetadataError(error);
    }
  }

  /** One process, one connection: nothing to share a statement with. */
  lookup<T>(fn: string, args: Record<string, SqlArgument>): Promise<T> {
    return this.call<T>(fn, args);
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
    await this.#unlock?.().catch(() => undefined);
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
