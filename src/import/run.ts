/**
 * Carries out an import plan through the same upload engine as the API's routes (the source's
 * streams are a third byte source beside multipart requests and direct uploads): every file is
 * measured, hashed and profiled while it is copied, into the configured storage's key layout,
 * and recorded in the configured metadata store. Idempotent: what is already there with the same
 * SHA-256 is skipped (the source is read to compare only where a stored file has the same path
 * or, for versions, the same size). Each dataset batch, model version and explanation is all or
 * nothing, so a killed import leaves no half-recorded item and a re-run finishes the rest. The
 * source is only read. From a bucket of the target store's own account, files are copied
 * server-side instead (serverSideCopy).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DatasetService } from '../datasets/dataset-service.ts';
import type { DirectUploadService } from '../direct-uploads/direct-upload-service.ts';
import type { UploadTarget } from '../direct-uploads/target.ts';
import type { Actor } from '../domain.ts';
import { AppError } from '../errors.ts';
import type { ExplanationService } from '../explanations/explanation-service.ts';
import type { ModelService } from '../models/model-service.ts';
import type { FieldPart, FilePart, IncomingPart, UploadContext } from '../uploads/parts.ts';
import type { BatchEntry, ImportJournal } from './journal.ts';
import { bytes, type ImportPlan, type Item } from './plan.ts';
import type { ImportSource } from './source.ts';

export interface ImportDeps {
  datasets: DatasetService;
  models: ModelService;
  explanations: ExplanationService;
  actor: Actor;
  source: ImportSource;
  /** One line per item, as it is done: the run's progress. */
  report(line: string): void;
  signal: AbortSignal;
  /** A dataset's new files are stored in batches of at most this many bytes (each one version). */
  batchBytes?: number;
  /**
   * When the source is a bucket of the target store's account: files are copied server-side into
   * direct-upload sessions (no byte passes through this process), then read back once to be
   * hashed and profiled, as every direct upload is. Each file is then its own dataset version.
   */
  serverSideCopy?: { directUploads: DirectUploadService; bucket: string; prefix: string };
  /** Where the batches in flight are noted, and how to remove what a killed run's batch left. */
  journal?: { journal: ImportJournal; reclaim(batch: BatchEntry): Promise<number> };
}

/** Clocks of this process and of the database differ: a batch's rows are matched from a minute before it. */
const CLOCK_MARGIN_MS = 60_000;

export interface ImportReport {
  copied: number;
  skipped: number;
  copiedBytes: number;
  failed: Array<{ key: string; code: string; detail: string }>;
}

const DEFAULT_BATCH_BYTES = 1024 ** 3;
const BATCH_FILES = 100;

export async function runImport(plan: ImportPlan, deps: ImportDeps): Promise<ImportReport> {
  const result: ImportReport = { copied: 0, skipped: 0, copiedBytes: 0, failed: [] };
  const total = [...plan.datasets.values()].reduce((n, f) => n + f.length, 0) + plan.models.length + plan.explanations.length;
  let done = 0;
  const step = (line: string) => {
    done += 1;
    deps.report(`[${done}/${total}] ${line}`);
  };
  const failed = (items: Array<{ key: string }>, error: unknown) => {
    if (!(error instanceof AppError)) throw error; // storage or metadata down: stop, a re-run resumes
    for (const { key } of items) {
      result.failed.push({ key, code: error.code, detail: error.message });
      step(`failed ${key}: ${error.code}: ${error.message}`);
    }
  };
  const copied = deps.serverSideCopy ? 'copied server-side' : 'copied';
  const context = (overwrite = false): UploadContext & { overwrite: boolean } => ({ signal: deps.signal, overwrite });

  const left = (await deps.journal?.journal.leftByDeadRun()) ?? [];
  for (const batch of left) {
    const removed = await deps.journal?.reclaim(batch);
    deps.report(`removed what a killed import left of ${batch.dataset}: ${removed} half-copied file(s)`);
  }
  if (left.length > 0) await deps.journal?.journal.forget();

  for (const [name, files] of plan.datasets) {
    let current: Map<string, { size: number; sha256: string }>;
    try {
      current = await ensureDataset(deps, name, plan.source);
    } catch (error) {
      failed(files, error);
      continue;
    }
    const pending: Item<'dataset-file'>[] = [];
    for (const file of files) {
      const stored = current.get(file.target.path);
      if (stored && stored.size === file.size && stored.sha256 === (await sha256Of(deps.source, file.key))) {
        result.skipped += 1;
        step(`skipped ${file.key}: already ${name}/${file.target.path} (same SHA-256)`);
      } else {
        pending.push(file);
      }
    }
    // Server-side copies go one file per session (and version); streamed files in batches.
    for (const batch of batches(pending, deps.serverSideCopy ? 0 : (deps.batchBytes ?? DEFAULT_BATCH_BYTES))) {
      try {
        const [only] = batch;
        const dataset =
          deps.serverSideCopy && only
            ? ((await copyServerSide(deps, deps.serverSideCopy, only, {
                type: 'dataset-file',
                dataset: name,
                path: only.target.path,
                overwrite: true,
              })) as Awaited<ReturnType<DatasetService['addFiles']>>)
            : await journaled(deps, name, batch, () =>
                deps.datasets.addFiles(
                  deps.actor,
                  name,
                  fileParts(deps.source, batch, (f) => f.target.path),
                  context(true),
                ),
              );
        for (const file of batch) {
          const stored = dataset.files?.find((f) => f.path === file.target.path);
          result.copied += 1;
          result.copiedBytes += file.size;
          step(
            `${copied} ${file.key} → ${name}/${file.target.path} v${dataset.version} (${bytes(file.size)}, sha256 ${stored?.sha256})`,
          );
        }
      } catch (error) {
        failed(batch, error);
      }
    }
  }

  for (const model of plan.models) {
    const { dataset, name, version } = model.target;
    try {
      await ensureDataset(deps, dataset, plan.source);
      const existing = await allPages((cursor) =>
        deps.models.list(deps.actor, { dataset, name, sort: 'createdAt', order: 'asc', limit: 100, cursor }),
      );
      const same = await sameBytes(deps.source, model, existing);
      if (same) {
        result.skipped += 1;
        step(`skipped ${model.key}: already ${dataset}/${name} version ${same.version} (same SHA-256)`);
        continue;
      }
      const fields = { dataset, name };
      const created = deps.serverSideCopy
        ? ((await copyServerSide(deps, deps.serverSideCopy, model, {
            type: 'model',
            ...fields,
            filename: model.target.filename,
            files: 1,
          })) as Awaited<ReturnType<ModelService['create']>>)
        : await deps.models.create(deps.actor, versionParts(deps.source, fields, model, model.target.filename), context());
      const renumbered =
        created.version === version ? '' : ` (the API numbers versions in order: ${version} is ${created.version})`;
      result.copied += 1;
      result.copiedBytes += model.size;
      step(
        `${copied} ${model.key} → ${dataset}/${name} version ${created.version}${renumbered} (${bytes(model.size)}, sha256 ${created.sha256})`,
      );
    } catch (error) {
      failed([model], error);
    }
  }

  for (const explanation of plan.explanations) {
    const { dataset, path, method } = explanation.target;
    try {
      const model = await explainedModel(deps, dataset, explanation.model);
      const existing = await allPages((cursor) => deps.explanations.list(deps.actor, { dataset, limit: 100, cursor }));
      const same = await sameBytes(deps.source, explanation, existing, path);
      if (same) {
        result.skipped += 1;
        step(`skipped ${explanation.key}: already explanation ${same.id} (same SHA-256)`);
        continue;
      }
      const fields = { model: model.id, method };
      const created = deps.serverSideCopy
        ? ((await copyServerSide(deps, deps.serverSideCopy, explanation, {
            type: 'explanation',
            ...fields,
            filename: path,
            files: 1,
          })) as Awaited<ReturnType<ExplanationService['create']>>)
        : await deps.explanations.create(deps.actor, versionParts(deps.source, fields, explanation, path), context());
      result.copied += 1;
      result.copiedBytes += explanation.size;
      step(
        `${copied} ${explanation.key} → ${method} explanation of ${dataset}/${model.name} v${model.version} (${bytes(explanation.size)}, sha256 ${created.sha256})`,
      );
    } catch (error) {
      failed([explanation], error);
    }
  }
  return result;
}

/** Notes the batch in the journal while it is copied (a killed run's batch is then reclaimable). */
async function journaled<T>(
  deps: ImportDeps,
  dataset: string,
  batch: Array<{ target: { path: string } }>,
  copy: () => Promise<T>,
): Promise<T> {
  if (!deps.journal) return copy();
  const entry: BatchEntry = {
    dataset,
    paths: batch.map((file) => file.target.path),
    startedAt: new Date(Date.now() - CLOCK_MARGIN_MS).toISOString(),
  };
  await deps.journal.journal.begin(entry);
  try {
    return await copy();
  } finally {
    await deps.journal.journal.end(entry);
  }
}

/**
 * One file copied server-side through a direct-upload session: open (every check of an upload),
 * parts copied by the store, complete, then the read-back verification. Answers the record the
 * session made; a refusal aborts the session (nothing is left behind).
 */
async function copyServerSide(
  deps: ImportDeps,
  copy: NonNullable<ImportDeps['serverSideCopy']>,
  item: { key: string; size: number },
  target: UploadTarget,
): Promise<unknown> {
  const { directUploads } = copy;
  const session = await directUploads.open(deps.actor, { target, size: item.size });
  try {
    await directUploads.copyParts(deps.actor, session.id, { bucket: copy.bucket, key: copy.prefix + item.key });
    let state = await directUploads.complete(deps.actor, session.id);
    while (state.state === 'verifying') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await directUploads.get(deps.actor, session.id);
    }
    if (state.state !== 'ready' || !state.result) {
      const problem = state.problem as { code?: string; detail?: string } | null | undefined;
      throw new AppError('invalid_file', `${problem?.code ?? state.state}: ${problem?.detail ?? 'the copy did not verify'}`);
    }
    return state.result;
  } catch (error) {
    await directUploads.abort(deps.actor, session.id).catch(() => undefined); // else the reconciler ends it
    throw error;
  }
}

/** The dataset (created when missing), as path → the stored file's size and SHA-256. */
async function ensureDataset(
  deps: ImportDeps,
  name: string,
  source: string,
): Promise<Map<string, { size: number; sha256: string }>> {
  let dataset: Awaited<ReturnType<DatasetService['get']>> | undefined;
  // A dataset another process is creating is pending for a moment: wait for it to be ready. One
  // that stays pending was left by a process killed while creating it: the reconciler's to remove.
  for (let attempt = 0; dataset === undefined; attempt += 1) {
    try {
      dataset = await deps.datasets.get(deps.actor, name);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'dataset_not_found')) throw error;
      try {
        dataset = await deps.datasets.createEmpty(deps.actor, { name, description: `Imported from ${source}` });
      } catch (raced) {
        if (!(raced instanceof AppError && raced.code === 'dataset_exists')) throw raced;
        if (attempt >= 20) {
          throw new AppError(
            'upload_in_progress',
            `The dataset ${name} is still being created: by another upload, or left half-made by a process that was killed. ` +
              'Once no upload is running, `npm run reconcile -- --older-than 1m` removes it; then run the import again.',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
  return new Map((dataset.files ?? []).map((f) => [f.path, { size: f.size, sha256: f.sha256 }]));
}

async function explainedModel(
  deps: ImportDeps,
  dataset: string,
  mapped: { name: string; version?: number } | undefined,
): Promise<{ id: string; name: string; version: number }> {
  if (mapped) return deps.models.byRef(deps.actor, dataset, mapped.name, String(mapped.version ?? 'latest'));
  const page = await deps.models.list(deps.actor, { dataset, sort: 'createdAt', order: 'desc', limit: 1 });
  const latest = page.items[0];
  if (!latest)
    throw new AppError(
      'model_not_found',
      `${dataset} has no model to attach the explanation to; import its models first or map it.`,
    );
  return latest;
}

/** A stored version holding these bytes (its single file, or the file at `path`), if any. */
async function sameBytes<V extends { files: Array<{ path: string; size: number; sha256: string }> }>(
  source: ImportSource,
  item: { key: string; size: number },
  versions: V[],
  path?: string,
): Promise<V | undefined> {
  const candidates = versions.filter((v) => v.files.some((f) => f.size === item.size && (path === undefined || f.path === path)));
  if (candidates.length === 0) return undefined;
  const sha256 = await sha256Of(source, item.key);
  return candidates.find((v) => v.files.some((f) => f.sha256 === sha256 && f.size === item.size));
}

async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const answer = await page(cursor);
    items.push(...answer.items);
    cursor = answer.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

async function sha256Of(source: ImportSource, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await source.open(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function* batches<T extends { size: number }>(items: T[], maxBytes: number): Generator<T[]> {
  let batch: T[] = [];
  let size = 0;
  for (const item of items) {
    if (batch.length > 0 && (size + item.size > maxBytes || batch.length >= BATCH_FILES)) {
      yield batch;
      batch = [];
      size = 0;
    }
    batch.push(item);
    size += item.size;
  }
  if (batch.length > 0) yield batch;
}

function field(name: string, value: string): FieldPart {
  return { kind: 'field', name, value, truncated: false };
}

async function filePart(source: ImportSource, key: string, filename: string): Promise<FilePart> {
  const stream: Readable = await source.open(key);
  return { kind: 'file', name: 'file', filename, stream, truncated: () => false };
}

/** A form of files only, each opened when the engine asks for it (one stream open at a time). */
async function* fileParts<T extends { key: string }>(
  source: ImportSource,
  files: T[],
  pathOf: (file: T) => string,
): AsyncIterable<IncomingPart> {
  for (const file of files) yield await filePart(source, file.key, pathOf(file));
}

/** A version's form: its placing fields, then its one file. */
async function* versionParts(
  source: ImportSource,
  fields: Record<string, string>,
  item: { key: string },
  filename: string,
): AsyncIterable<IncomingPart> {
  for (const [name, value] of Object.entries(fields)) yield field(name, value);
  yield await filePart(source, item.key, filename);
}
