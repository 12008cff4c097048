/**
 * `npm run import -- --from <folder | s3://bucket/prefix> [--dry-run] [--mapping file.json] [--owner id]`
 * (in the Docker image: `node dist/src/cli/import.js …`): brings what the platform stored before
 * this API — in the layout of its R2StorageClient — into the configured storage and metadata
 * (the same environment as the server). --dry-run prints the plan and changes nothing; a real run
 * prints a line per file, skips what is already there with the same SHA-256, can be killed and
 * re-run, and never writes to the source (a bucket of the target's own account is copied from
 * server-side, unless --stream). Exit code 0 when everything mapped is imported, 2 when an item
 * failed, 1 when it could not start.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { actorOf, PRINCIPAL_ID } from '../domain.ts';
import { FolderSource } from '../import/folder-source.ts';
import { ImportJournal } from '../import/journal.ts';
import { buildPlan, bytes, describePlan, parseMapping } from '../import/plan.ts';
import { reclaimBatch } from '../import/reclaim.ts';
import { runImport } from '../import/run.ts';
import { parseS3Url, S3Source } from '../import/s3-source.ts';
import type { ImportSource } from '../import/source.ts';
import { createLogger } from '../logger.ts';
import { DataDirInUse } from '../metadata/data-dir-lock.ts';
import { createServices, type Services } from '../services.ts';
import { loadConfigOrExit } from './load-config.ts';

const USAGE =
  'usage: npm run import -- --from <folder | s3://bucket/prefix> [--dry-run] [--mapping file.json] [--owner <user id>] [--stream]';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * A bucket the target store's own credentials reach at the same endpoint (the same R2 account):
 * files are then copied server-side, never streamed through this process.
 */
function serverSideBucket(from: string, config: Config): { bucket: string; prefix: string } | undefined {
  const location = from.startsWith('s3://') ? parseS3Url(from) : undefined;
  const r2 = config.storage.kind === 's3' ? config.storage : undefined;
  if (!location || !r2) return undefined;
  const { endpoint = r2.endpoint, accessKeyId = r2.accessKeyId } = config.importS3;
  return new URL(endpoint).origin === new URL(r2.endpoint).origin && accessKeyId === r2.accessKeyId ? location : undefined;
}

function sourceFor(from: string, config: Config): ImportSource {
  if (!from.startsWith('s3://')) return new FolderSource(from);
  const location = parseS3Url(from);
  if (!location) fail(`--from ${from}: an S3 source is s3://bucket or s3://bucket/prefix`);
  const r2 = config.storage.kind === 's3' ? config.storage : undefined;
  const { endpoint = r2?.endpoint, accessKeyId = r2?.accessKeyId, secretAccessKey = r2?.secretAccessKey } = config.importS3;
  if (!endpoint || !accessKeyId || !secretAccessKey) {
    fail('An S3 source needs IMPORT_S3_ENDPOINT, IMPORT_S3_ACCESS_KEY_ID and IMPORT_S3_SECRET_ACCESS_KEY (or the R2 settings).');
  }
  const region = config.importS3.region ?? r2?.region ?? 'auto';
  return new S3Source({ endpoint, region, accessKeyId, secretAccessKey, ...location });
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        from: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        mapping: { type: 'string' },
        owner: { type: 'string', default: 'local' },
        stream: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (!values.from) fail(USAGE);
if (!PRINCIPAL_ID.test(values.owner)) fail('--owner is a user id (letters, digits and _ . : @ | + -).');
if (!values.from.startsWith('s3://')) {
  const stat = await fs.stat(values.from).catch(() => undefined);
  if (!stat?.isDirectory()) fail(`--from ${values.from}: not a folder`);
}

const config = loadConfigOrExit(process.env);
const mapping = values.mapping
  ? await fs
      .readFile(values.mapping, 'utf8')
      .then((text) => parseMapping(JSON.parse(text)))
      .catch((error: Error) => fail(`--mapping ${values.mapping}: ${error.message}`))
  : {};
const source = sourceFor(values.from, config);
const print = (line: string) => process.stdout.write(`${line}\n`);

try {
  const plan = await buildPlan(source, mapping);
  if (values['dry-run']) {
    for (const line of describePlan(plan)) print(line);
    print('dry run: nothing was copied or recorded');
  } else {
    let services: Services;
    try {
      services = await createServices(config, createLogger({ level: 'warn', pretty: false }));
    } catch (error) {
      if (error instanceof DataDirInUse) fail(`${error.message}; stop that server to import into the embedded default`);
      throw error;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    try {
      print(describePlan(plan)[0] ?? '');
      for (const skipped of plan.unmapped) print(`not imported: ${skipped.key}: ${skipped.reason}`);
      const sameAccount = values.stream ? undefined : serverSideBucket(values.from, config);
      if (sameAccount) print(`the source is in the target's account: files are copied server-side (${sameAccount.bucket})`);
      const report = await runImport(plan, {
        ...(sameAccount ? { serverSideCopy: { directUploads: services.directUploads, ...sameAccount } } : {}),
        journal: {
          journal: new ImportJournal(path.join(config.dataDir, 'import-journal.json')),
          reclaim: (batch) => reclaimBatch(services, batch),
        },
        datasets: services.datasets,
        models: services.models,
        explanations: services.explanations,
        actor: actorOf({ id: values.owner, role: 'user' }),
        source,
        report: print,
        signal: controller.signal,
      });
      print(
        `imported: ${report.copied} copied (${bytes(report.copiedBytes)}), ${report.skipped} already there, ${report.failed.length} failed, ${plan.unmapped.length} not mapped`,
      );
      process.exitCode = report.failed.length > 0 ? 2 : 0;
    } finally {
      await services.close();
    }
  }
} finally {
  await source.close();
}
