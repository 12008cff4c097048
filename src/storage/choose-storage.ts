/** The storage adapter the configuration names, checked before the server takes traffic. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config, StorageConfig } from '../config.ts';
import type { MemoryBudget } from '../uploads/memory-budget.ts';
import { FilesystemStorage } from './filesystem-storage.ts';
import type { ObjectStorage } from './port.ts';

// Adapters are imported only when chosen: the AWS SDK alone takes ~200 ms to load, which the
// embedded default's cold start does not need to pay.
export async function createStorage(storage: StorageConfig, config: Config, budget: MemoryBudget): Promise<ObjectStorage> {
  if (storage.kind === 's3') {
    const { S3Storage } = await import('./s3-storage.ts');
    const s3 = new S3Storage(storage, { budget });
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
