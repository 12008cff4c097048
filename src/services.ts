/**
 * Wiring: the resource services built on the storage and metadata adapters the configuration
 * chose (src/storage/choose-storage.ts, src/metadata/choose-metadata.ts).
 */

import { Aliases } from './aliases/aliases.ts';
import { Authenticator } from './auth/authenticator.ts';
import type { Config } from './config.ts';
import { DatasetService } from './datasets/dataset-service.ts';
import { directKinds, verificationKinds } from './direct-uploads/direct-kinds.ts';
import { DirectUploadService } from './direct-uploads/direct-upload-service.ts';
import { UploadVerifier } from './direct-uploads/verifier.ts';
import { ExplanationRows } from './explanations/explanation-rows.ts';
import { createExplanationService, type ExplanationService } from './explanations/explanation-service.ts';
import { Importances } from './explanations/importances.ts';
import { matrixProfiling } from './explanations/matrix-profiling.ts';
import type { Logger } from './logger.ts';
import { createMetadataCaller } from './metadata/choose-metadata.ts';
import { MetadataStore } from './metadata/metadata-store.ts';
import { checkedRecords } from './metadata/record-checks.ts';
import type { SqlFunctionCaller } from './metadata/sql-caller.ts';
import { ModelService } from './models/model-service.ts';
import { ParquetReading } from './profiles/parquet-reading.ts';
import { ProfilingThread } from './profiles/profile-thread.ts';
import { SharedCounter } from './rate-limits/shared-counter.ts';
import { createStorage } from './storage/choose-storage.ts';
import type { ObjectStorage } from './storage/port.ts';
import { InFlightUploads } from './uploads/in-flight-uploads.ts';
import { MemoryBudget } from './uploads/memory-budget.ts';

export interface Services {
  config: Config;
  storage: ObjectStorage;
  metadata: MetadataStore;
  datasets: DatasetService;
  models: ModelService;
  explanations: ExplanationService;
  /** Feature importances of explanations: per explanation and across a model's versions. */
  importances: Importances;
  /** Any row of an explanation's SHAP matrix, beside the dataset row it explains. */
  explanationRows: ExplanationRows;
  aliases: Aliases;
  directUploads: DirectUploadService;
  /** Verifies completed direct uploads; `start()` also resumes those a crash interrupted. */
  verifier: UploadVerifier;
  authenticator: Authenticator;
  /** Uploads in flight; aborted when a shutdown's grace period runs out. */
  uploads: InFlightUploads;
  /**
   * Rate-limit counts shared with the other replicas on this database (Postgres, Supabase);
   * undefined on PGlite, which one process owns (its counts stay in that process).
   */
  rateLimits: SharedCounter | undefined;
  /** What core operations (the reconciler) need. */
  deps(): { storage: ObjectStorage; metadata: MetadataStore; log: Logger };
  close(): Promise<void>;
}

export interface ServiceOverrides {
  storage?: ObjectStorage;
  metadata?: SqlFunctionCaller;
  /** Parse every record SQL answers with its zod schema (the tests do). */
  checkRecords?: boolean;
}

export async function createServices(config: Config, log: Logger, overrides: ServiceOverrides = {}): Promise<Services> {
  // The upload memory budget, and the threads that spend some of it, are this process's: made once here.
  const budget = new MemoryBudget();
  const storage = overrides.storage ?? (await createStorage(config.storage, config, budget));
  let caller: SqlFunctionCaller;
  try {
    caller = overrides.metadata ?? (await createMetadataCaller(config.metadata, log));
  } catch (error) {
    await storage.close();
    throw error;
  }
  const metadata = new MetadataStore(caller, overrides.checkRecords ? { check: checkedRecords } : {});
  const deps = { metadata, storage, limits: config.limits, log };
  // Parquet footers and pages are read on worker threads with a heap limit: a hostile file costs a thread, not the server.
  const parquet = new ParquetReading({ budget });
  const thread = new ProfilingThread({ budget });
  const datasets = new DatasetService({ ...deps, profiles: { ...config.profiles, parquet, thread } });
  const models = new ModelService(deps);
  const explanations = createExplanationService({ ...deps, profiling: matrixProfiling(datasets) });
  const verifier = new UploadVerifier({
    metadata,
    storage,
    log,
    settings: config.directUploads,
    kinds: verificationKinds({ datasets }),
  });
  const rateLimits = caller.shared ? new SharedCounter(metadata.rateLimits, log) : undefined;
  return {
    config,
    storage,
    metadata,
    datasets,
    models,
    explanations,
    importances: new Importances(metadata.explanations),
    explanationRows: new ExplanationRows({ records: metadata.explanations, storage, parquet }),
    aliases: new Aliases(metadata.aliases),
    verifier,
    directUploads: new DirectUploadService({
      ...deps,
      settings: config.directUploads,
      kinds: directKinds({ datasets, models, explanations, limits: config.limits }),
      verifier,
    }),
    authenticator: new Authenticator(config.auth),
    uploads: new InFlightUploads(config.uploads, () => storage.concurrentBodies),
    rateLimits,
    deps: () => ({ storage, metadata, log }),
    async close() {
      await verifier.stop();
      await rateLimits?.close();
      await Promise.allSettled([storage.close(), metadata.close(), parquet.close(), thread.close()]);
    },
  };
}
