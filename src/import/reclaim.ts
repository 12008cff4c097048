/**
 * Removes what a killed import's dataset batch left: its files' pending rows (matched by dataset,
 * path and the batch's start time through their object keys), their objects and unfinished
 * multipart uploads — what the reconciler would remove after its age cutoff, now, for exactly
 * those paths. A pending row of another upload to the same path started since would be removed
 * too (its own completion then fails cleanly); an import runs where nothing else writes those paths.
 */
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ObjectStorage } from '../storage/port.ts';
import type { BatchEntry } from './journal.ts';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PAGE = 1000;

export async function reclaimBatch(
  deps: { storage: ObjectStorage; metadata: MetadataStore },
  batch: BatchEntry,
): Promise<number> {
  const { storage, metadata } = deps;
  const paths = new Set(batch.paths);
  const prefix = `datasets/${batch.dataset}/`;
  const keyPattern = new RegExp(`^datasets/[^/]+/${UUID}/(.+)$`);
  const now = new Date();
  let removed = 0;
  for (const row of await metadata.maintenance.stalePending(now, PAGE)) {
    if (row.kind !== 'file' || !row.objectKey?.startsWith(prefix) || Date.parse(row.createdAt) < Date.parse(batch.startedAt))
      continue;
    const path = keyPattern.exec(row.objectKey)?.[1];
    if (!path || !paths.has(path)) continue;
    for (const upload of await storage.listIncompleteUploads(row.objectKey)) {
      if (upload.key === row.objectKey) await storage.abortIncompleteUpload(upload);
    }
    await storage.delete(row.objectKey);
    if (await metadata.maintenance.deleteStalePending(row, now)) removed += 1;
  }
  return removed;
}
