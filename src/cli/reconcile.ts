/**
 * `npm run reconcile -- [--dry-run] [--older-than 2h] [--json]`: repairs what crashes left
 * between the bucket and the metadata (see src/operations/reconciler.ts). Exit code 0 when
 * all is consistent or repaired, 2 when ready rows are missing their objects or an action failed.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { parseDuration, reconcile } from '../operations/reconciler.ts';
import { createServices } from '../services.ts';
import { loadConfigOrExit } from './load-config.ts';

const { values } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    'older-than': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const config = loadConfigOrExit(process.env);
const log = createLogger({ level: values.json ? 'warn' : config.logLevel, pretty: false });
const services = await createServices(config, log);
try {
  const report = await reconcile(services.deps(), {
    olderThanMs: parseDuration(values['older-than'] ?? `${config.reconcileOlderThanMs}`),
    dryRun: values['dry-run'] ?? false,
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const verb = report.dryRun ? 'would delete' : 'deleted';
    const lines = [
      `reconcile ${report.dryRun ? '(dry run) ' : ''}of everything older than ${report.cutoff}`,
      `  pending rows left by crashes: ${report.stalePendingRows.length} (${verb} with their objects)`,
      `  incomplete multipart uploads: ${report.staleUploads.length} (${report.dryRun ? 'would abort' : 'aborted'})`,
      `  objects without a row:        ${report.orphanObjects.length} (${verb})`,
      `  ready rows missing an object: ${report.missingObjects.length} (reported only)`,
      ...report.missingObjects.map((row) => `    ${row.kind} ${row.id}: ${row.objectKey}`),
      ...report.failures.map((failure) => `  failed: ${failure}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  process.exitCode = report.missingObjects.length > 0 || report.failures.length > 0 ? 2 : 0;
} finally {
  await services.close();
}
