/**
 * One process per embedded metadata folder. PGlite has no cross-process lock, and two
 * processes writing one folder corrupt it; so the folder is locked (proper-lockfile: a lock
 * directory refreshed while the process lives, taken over when stale after a crash) and a
 * second server, or `npm run reconcile` while a server runs, is refused with one line.
 */
import lockfile from 'proper-lockfile';
import { ConfigError } from '../config.ts';

export class DataDirInUse extends ConfigError {
  override name = 'DataDirInUse';
}

export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(dir, {
      realpath: false,
      retries: 0,
      stale: 15_000,
      update: 5_000,
      // A lost lock (the folder removed, a frozen process) is reported; the process goes on.
      onCompromised: (error) => process.stderr.write(`the DATA_DIR lock was lost: ${error.message}\n`),
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new DataDirInUse(
        `Cannot start: DATA_DIR is in use by another process (a running server or \`npm run reconcile\`): ${dir}`,
      );
    }
    throw error;
  }
}
