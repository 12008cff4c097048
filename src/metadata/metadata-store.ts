/**
 * The metadata port: typed operations over the SQL functions of supabase/sql, one
 * group per resource. One implementation for every backend; backends differ only in their
 * SqlFunctionCaller (Postgres, PGlite, Supabase).
 */
import { AliasRecords } from './alias-records.ts';
import { DatasetRecords } from './dataset-records.ts';
import { ExplanationRecords } from './explanation-records.ts';
import { MaintenanceRecords } from './maintenance-records.ts';
import { ModelRecords } from './model-records.ts';
import { RateLimitRecords } from './rate-limit-records.ts';
import { type RecordCheck, uncheckedRecords } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';
import { UploadSessionRecords } from './upload-session-records.ts';

export class MetadataStore {
  readonly #caller: SqlFunctionCaller;
  readonly datasets: DatasetRecords;
  readonly models: ModelRecords;
  readonly explanations: ExplanationRecords;
  readonly maintenance: MaintenanceRecords;
  readonly uploadSessions: UploadSessionRecords;
  readonly rateLimits: RateLimitRecords;
  readonly aliases: AliasRecords;

  /** `check`: checkedRecords parses every ready record SQL answers with its zod schema (the tests turn it on). */
  constructor(caller: SqlFunctionCaller, options: { check?: RecordCheck } = {}) {
    const check = options.check ?? uncheckedRecords;
    this.#caller = caller;
    this.datasets = new DatasetRecords(caller, check);
    this.models = new ModelRecords(caller, check);
    this.explanations = new ExplanationRecords(caller, check);
    this.maintenance = new MaintenanceRecords(caller);
    this.uploadSessions = new UploadSessionRecords(caller);
    this.rateLimits = new RateLimitRecords(caller);
    this.aliases = new AliasRecords(caller);
  }

  check(): Promise<void> {
    return this.#caller.check();
  }

  close(): Promise<void> {
    return this.#caller.close();
  }
}
