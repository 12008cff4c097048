/**
 * Finds and repairs what a crash can leave between the bucket and the metadata:
 * - direct uploads past their UPLOAD_SESSION_TTL: aborted (reservation, parts);
 * - pending rows older than the cut-off: their object (if any) and the row are deleted;
 * - multipart uploads (or filesystem temp files) begun before the cut-off: aborted;
 * - objects under the managed prefixes, older than the cut-off, that no row points at: deleted;
 * - ready rows whose object is missing: reported, never deleted (metadata is not guessed away).
 * Safe while the server runs: it only touches what is older than any upload can take.
 */
import type { Logger } from '../logger.ts';
import type { PendingRow, ReadyRow } from '../metadata/maintenance-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { IncompleteUpload, ObjectStorage } from '../storage/port.ts';
import { MANAGED_PREFIXES } from '../uploads/object-keys.ts';

export interface ReconcileOptions {
  olderThanMs: number;
  dryRun: boolean;
  now?: Date;
}

export interface ReconcileReport {
  dryRun: boolean;
  cutoff: string;
  expiredUploads: string[];
  stalePendingRows: PendingRow[];
  staleUploads: Array<Pick<IncompleteUpload, 'key' | 'uploadId'> & { initiated: string }>;
  orphanObjects: string[];
  missingObjects: ReadyRow[];
  /** Actions that failed (the next run retries them). */
  failures: string[];
}

const PAGE = 500;

export async function reconcile(
  deps: { storage: ObjectStorage; metadata: MetadataStore; log: Logger },
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const { storage, metadata, log } = deps;
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.olderThanMs);
  const report: ReconcileReport = {
    dryRun: options.dryRun,
    cutoff: cutoff.toISOString(),
    expiredUploads: [],
    stalePendingRows: [],
    staleUploads: [],
    orphanObjects: [],
    missingObjects: [],
    failures: [],
  };
  const attempt = async (what: string, action: () => Promise<unknown>) => {
    if (options.dryRun) return;
    try {
      await action();
    } catch (error) {
      report.failures.push(what);
      log.warn({ err: error, what }, 'reconciler action failed; the next run retries it');
    }
  };

  // 0. Direct uploads whose time ran out: the session ends (its row goes with it), then its parts.
  const now = options.now ?? new Date();
  for (;;) {
    const sessions = (await metadata.uploadSessions.expired(now, PAGE)).filter((s) => !report.expiredUploads.includes(s.id));
    if (sessions.length === 0) break;
    for (const session of sessions) {
      report.expiredUploads.push(session.id);
      await attempt(`abort expired upload ${session.id}`, async () => {
        await metadata.uploadSessions.end(session.id, 'aborted', {
          code: 'upload_expired',
          detail: `The upload was not completed before ${session.expiresAt}.`,
        });
        await storage.abortIncompleteUpload({ key: session.objectKey, uploadId: session.storageUploadId, initiated: now });
      });
    }
    if (options.dryRun && sessions.length < PAGE) break;
  }

  // 1. Pending rows left by a crash: object first, then the row (a crash between leaves the row to find again).
  const seen = new Set<string>();
  for (;;) {
    const rows = (await metadata.maintenance.stalePending(cutoff, PAGE)).filter((row) => !seen.has(row.id));
    if (rows.length === 0) break;
    for (const row of rows) {
      seen.add(row.id);
      report.stalePendingRows.push(row);
      await attempt(`delete pending ${row.kind} ${row.id}`, async () => {
        if (row.objectKey) await storage.delete(row.objectKey);
        await metadata.maintenance.deleteStalePending(row, cutoff);
      });
    }
    if (options.dryRun && rows.length < PAGE) break;
  }

  // 2. Multipart uploads nobody will complete (a live direct upload's parts are still coming).
  for (const prefix of MANAGED_PREFIXES) {
    const old = (await storage.listIncompleteUploads(prefix)).filter((upload) => upload.initiated < cutoff);
    const live = new Set(old.length > 0 ? await metadata.uploadSessions.liveUploadIds(old.map((u) => u.uploadId)) : []);
    for (const upload of old) {
      if (live.has(upload.uploadId)) continue;
      report.staleUploads.push({ key: upload.key, uploadId: upload.uploadId, initiated: upload.initiated.toISOString() });
      await attempt(`abort upload ${upload.uploadId}`, () => storage.abortIncompleteUpload(upload));
    }
  }

  // 3. Objects no row points at; remember every key for step 4.
  const existing = new Set<string>();
  for (const prefix of MANAGED_PREFIXES) {
    let cursor: string | undefined;
    do {
      const page = await storage.list(prefix, cursor ? { cursor, limit: 1000 } : { limit: 1000 });
      for (const object of page.objects) existing.add(object.key);
      const candidates = page.objects.filter((object) => object.lastModified < cutoff).map((object) => object.key);
      if (candidates.length > 0) {
        const withRows = new Set(await metadata.maintenance.keysWithRows(candidates));
        for (const key of candidates.filter((candidate) => !withRows.has(candidate))) {
          report.orphanObjects.push(key);
          await attempt(`delete orphan ${key}`, () => storage.delete(key));
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }

  // 4. Ready rows without their object: report only. A HEAD confirms, since the listing may predate the row.
  let after: string | null = null;
  for (;;) {
    const rows: ReadyRow[] = await metadata.maintenance.readyKeys(after, PAGE);
    for (const row of rows) {
      if (!existing.has(row.objectKey) && !(await storage.head(row.objectKey))) report.missingObjects.push(row);
    }
    if (rows.length < PAGE) break;
    after = rows.at(-1)?.objectKey ?? null;
  }
  log.info(
    {
      dryRun: report.dryRun,
      expiredUploads: report.expiredUploads.length,
      stalePendingRows: report.stalePendingRows.length,
      staleUploads: report.staleUploads.length,
      orphanObjects: report.orphanObjects.length,
      missingObjects: report.missingObjects.length,
      failures: report.failures.length,
    },
    'reconciled',
  );
  return report;
}

/** "90s", "30m", "6h", "2d" or plain milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new Error(`Not a duration: ${text} (use e.g. 30m, 6h, 2d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 'ms') as 'ms'];
  return Number(match[1]) * unit;
}
