/**
 * Wiring: the one place where the configuration picks the storage and metadata adapters
 * and the resource services are built on them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Authenticator } from './auth/authenticator.ts';
import { type Config, ConfigError, type MetadataConfig, type StorageConfig } from './config.ts';
import { DatasetService } from './datasets/dataset-service.ts';
import { DirectUploadService } from './direct-uploads/direct-upload-service.ts';
import { UploadVerifier } from './direct-uploads/verifier.ts';
import { ExplanationService } from './explanations/explanation-service.ts';
import type { Logger } from './logger.ts';
import { MetadataStore } from './metadata/metadata-store.ts';
import type { PgliteCaller } from './metadata/pglite-caller.ts';
import type { PostgresCaller } from './metadata/postgres-caller.ts';
import type { SqlFunctionCaller } from './metadata/sql-caller.ts';
import { ModelService } from './models/model-service.ts';
import { FilesystemStorage } from './storage/filesystem-storage.ts';
import type { ObjectStorage } from './storage/port.ts';
import { InFlightUploads } from './uploads/in-flight-uploads.ts';

export interface Services {
  config: Config;
  storage: ObjectStorage;
  metadata: MetadataStore;
  datasets: DatasetService;
  models: ModelService;
  explanations: ExplanationService;
  directUploads: DirectUploadService;
  /** Verifies completed direct uploads; `start()` also resumes those a crash interrupted. */
  verifier: UploadVerifier;
  authenticator: Authenticator;
  /** Uploads in flight; aborted when a shutdown's grace period runs out. */
  uploads: InFlightUploads;
  /** What core operations (the reconciler) need. */
  deps(): { storage: ObjectStorage; metadata: MetadataStore; log: Logger };
  close(): Promise<void>;
}

export interface ServiceOverrides {
  storage?: ObjectStorage;
  metadata?: SqlFunctionCaller;
}

export async function createServices(config: Config, log: Logger, overrides: ServiceOverrides = {}): Promise<Services> {
  const storage = overrides.storage ?? (await createStorage(config.storage, config));
  let caller: SqlFunctionCaller;
  try {
    caller = overrides.metadata ?? (await createMetadataCaller(config.metadata, log));
  } catch (error) {
    await storage.close();
    throw error;
  }
  const metadata = new MetadataStore(caller);
  const deps = { metadata, storage, limits: config.limits, log };
  const datasets = new DatasetService({ ...deps, profiles: config.profiles });
  const models = new ModelService(deps);
  const explanations = new ExplanationService(deps);
  const verifier = new UploadVerifier({ metadata, storage, log, settings: config.directUploads, datasets });
  return {
    config,
    storage,
    metadata,
    datasets,
    models,
    explanations,
    verifier,
    directUploads: new DirectUploadService({
      ...deps,
      settings: config.directUploads,
      datasets,
      models,
      explanations,
      verifier,
    }),
    authenticator: new Authenticator(config.auth),
    uploads: new InFlightUploads(config.uploads),
    deps: () => ({ storage, metadata, log }),
    async close() {
      await verifier.stop();
      await Promise.allSettled([storage.close(), metadata.close()]);
    },
  };
}

// Adapters are imported only when chosen: the AWS SDK alone takes ~200 ms to load, which the
// embedded default's cold start does not need to pay (and a deployment never loads PGlite).
async function createStorage(storage: StorageConfig, config: Config): Promise<ObjectStorage> {
  if (storage.kind === 's3') {
    const { S3Storage } = await import('./storage/s3-storage.ts');
    const s3 = new S3Storage(storage);
    try {
      await s3.checkAtStart();
    } catch (error) {
      await s3.close();
      throw error;
    }
    return s3;
  }
  const secret = config.downloads.signingSecret ?? (await localSigningSecret(config.dataDir));
  return new FilesystemStorage({ root: storage.root, signingSecret: secret });
}

async function createMetadataCaller(metadata: MetadataConfig, log: Logger): Promise<SqlFunctionCaller> {
  switch (metadata.kind) {
    case 'postgres': {
      const { PostgresCaller } = await import('./metadata/postgres-caller.ts');
      const caller = new PostgresCaller(metadata.url);
      try {
        await caller.check();
      } catch (error) {
        await caller.close();
        // One line naming the variable, never its value (it holds the password).
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? 'unreachable';
        throw new ConfigError(`Cannot start: DATABASE_URL: the database could not be reached (${cause})`);
      }
      await migrate(caller, log);
      return caller;
    }
    case 'pglite': {
      if (metadata.dataDir) await fs.mkdir(metadata.dataDir, { recursive: true });
      const { PgliteCaller } = await import('./metadata/pglite-caller.ts');
      const caller = await PgliteCaller.open(metadata.dataDir);
      await migrate(caller, log);
      return caller;
    }
    case 'supabase': {
      // The user applies supabase/migrations with `supabase db push`; we never alter their schema.
      const { SupabaseCaller } = await import('./metadata/supabase-caller.ts');
      return new SupabaseCaller({ url: metadata.url, serviceRoleKey: metadata.serviceRoleKey });
    }
  }
}

async function migrate(caller: PostgresCaller | PgliteCaller, log: Logger): Promise<void> {
  try {
    const applied = await caller.migrate();
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
  } catch (error) {
    await caller.close();
    throw error;
  }
}

/**
 * The embedded default signs its download links with a key kept in DATA_DIR, so links stay
 * valid across restarts without any configuration.
 */
async function localSigningSecret(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'download-signing.key');
  try {
    return await fs.readFile(file);
  } catch {
    await fs.mkdir(dataDir, { recursive: true });
    const secret = randomBytes(32);
    await fs.writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    return fs.readFile(file);
  }
}
