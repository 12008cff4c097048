/**
 * `npm run reconcile -- [--dry-run] [--older-than 2h] [--json]`: repairs what crashes left
 * between the bucket and the metadata (see src/operations/reconciler.ts). Exit code 0 when
 * all is consistent or repaired, 2 when ready rows are missing their objects or an action failed.
 * On the embedded default a running server holds the data folder: the reconciler then runs in
 * that server (POST /operations/reconcile; API_KEY, an admin key, when authentication is on).
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { DataDirInUse } from '../metadata/data-dir-lock.ts';
import { parseDuration, type ReconcileReport, reconcile } from '../operations/reconciler.ts';
import { createServices, type Services } from '../services.ts';
import { loadConfigOrExit } from './load-config.ts';
import { runningServerUrl } from './running-server.ts';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'older-than': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const config = loadConfigOrExit(process.env);
const log = createLogger({ level: values.json ? 'warn' : config.logLevel, pretty: false });
const dryRun = values['dry-run'] ?? false;
const olderThan = values['older-than'] ?? `${config.reconcileOlderThanMs}`;

let report: ReconcileReport;
let services: Services | undefined;
try {
  services = await createServices(config, log);
  report = await reconcile(services.deps(), { olderThanMs: parseDuration(olderThan), dryRun });
} catch (error) {
  if (!(error instanceof DataDirInUse)) throw error;
  // A server holds the embedded folder: it runs the reconciler itself, on our behalf.
  report = await reconcileThroughServer(error);
} finally {
  await services?.close();
}
print(report);
process.exitCode = report.missingObjects.length > 0 || report.failures.length > 0 ? 2 : 0;

async function reconcileThroughServer(inUse: DataDirInUse): Promise<ReconcileReport> {
  const url = await runningServerUrl(config.dataDir);
  if (!url) {
    process.stderr.write(`${inUse.message}\n`);
    process.exit(1);
  }
  const key = process.env.API_KEY;
  const response = await fetch(`${url}/operations/reconcile`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ dryRun, olderThan }),
  }).catch((error: unknown) => {
    process.stderr.write(
      `${inUse.message}; the server at ${url} did not answer (${String(error)}): if it crashed, its lock expires within 15 s\n`,
    );
    process.exit(1);
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string; detail?: string };
    process.stderr.write(
      `The running server refused to reconcile: ${response.status} ${problem.code ?? ''} ${problem.detail ?? ''}\n`,
    );
    process.exit(1);
  }
  return (await response.json()) as ReconcileReport;
}

function print(report: ReconcileReport): void {
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const verb = report.dryRun ? 'would delete' : 'deleted';
    const lines = [
      `reconcile ${report.dryRun ? '(dry run) ' : ''}of everything older than ${report.cutoff}`,
      `  expired direct uploads:       ${report.expiredUploads.length} (${report.dryRun ? 'would abort' : 'aborted'})`,
      `  pending rows left by crashes: ${report.stalePendingRows.length} (${verb} with their objects)`,
      `  incomplete multipart uploads: ${report.staleUploads.length} (${report.dryRun ? 'would abort' : 'aborted'})`,
      `  objects without a row:        ${report.orphanObjects.length} (${verb})`,
      `  ready rows missing an object: ${report.missingObjects.length} (reported only)`,
      ...report.missingObjects.map((row) => `    ${row.kind} ${row.id}: ${row.objectKey}`),
      ...report.failures.map((failure) => `  failed: ${failure}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
