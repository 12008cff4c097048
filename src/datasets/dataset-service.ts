/**
 * Datasets: named collections of files. Uploads follow the pipeline: reserve rows (the
 * database decides races before a byte moves), stream each file into storage, finalize the
 * whole request in one transaction, or undo all of it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import type { Actor, OwnerScope, Page } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { isAppError } from '../errors.ts';
import { fileTypeOf } from '../fields/file-types.ts';
import { basename, validateRelativePath } from '../fields/paths.ts';
import { parseFields } from '../fields/problems.ts';
import type { DatasetVersionLineage } from '../lineage/schema.ts';
import type { Logger } from '../logger.ts';
import type { FinishedFile, ListDatasets } from '../metadata/dataset-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import { previewOf } from '../profiles/preview.ts';
import type { Preview, ProfileRecord } from '../profiles/profile.ts';
import { FileProfiling, type ProfileSettings, summaryOf } from '../profiles/profile-file.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { type ReceivedFile, readForm } from '../uploads/form-reader.ts';
import type { IncomingPart, UploadContext } from '../uploads/parts.ts';
import { receiveFiles } from '../uploads/receive-files.ts';
import { deleteObjects, UploadBatch } from '../uploads/upload-batch.ts';
import {
  DATASET_LATE_FIELDS,
  type Dataset,
  type DatasetFieldValues,
  type DatasetPatch,
  type DatasetVersion,
  datasetFields,
  datasetFileTypes,
} from './schema.ts';

export interface DatasetServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
  profiles: ProfileSettings;
}

/** The form of POST /datasets: its fields, then any number of files. */
const createForm = {
  kind: 'dataset',
  fields: datasetFields,
  repeatable: ['tags'],
  late: DATASET_LATE_FIELDS,
  files: { min: 0, max: Infinity },
  paths: true,
};
/** The form of POST /datasets/{dataset}/files: files, each optionally after its sha256 and path fields. */
const addFilesForm = { kind: 'dataset', fields: z.object({}), files: { min: 1, max: Infinity }, paths: true };

export class DatasetService {
  readonly #deps: DatasetServiceDeps;

  constructor(deps: DatasetServiceDeps) {
    this.#deps = deps;
  }

  /** POST /datasets: fields first, then zero or more files; all or nothing. */
  async create(actor: Actor, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<Dataset> {
    const form = await readForm(parts, createForm, context);
    await using batch = new UploadBatch(this.#deps.storage, this.#deps.log);
    const batchId = randomUUID();
    const dataset = await this.#reserve(actor, form.fields, batchId, batch);
    const files = await this.#receiveFiles(actor, dataset, form.files, batch, { batchId, context, overwrite: false });
    const late = form.lateFields();
    if (Object.keys(late).length > 0) {
      await this.#deps.metadata.datasets.patchPending(actor.scope, dataset.id, batchId, late);
    }
    // Awaited here, inside the batch's scope: the batch must not be disposed before it is committed.
    return await this.#finalize(actor, dataset.id, batchId, files, batch);
  }

  /** POST /datasets with a JSON body: an empty dataset, its files to come (as forms send them, or direct). */
  async createEmpty(actor: Actor, body: unknown): Promise<Dataset> {
    const fields = parseFields(datasetFields.strict(), body);
    await using batch = new UploadBatch(this.#deps.storage, this.#deps.log);
    const batchId = randomUUID();
    const dataset = await this.#reserve(actor, fields, batchId, batch);
    return await this.#finalize(actor, dataset.id, batchId, [], batch);
  }

  /** The dataset's pending row (a unique index settles name races), undone with the batch unless committed. */
  async #reserve(actor: Actor, fields: DatasetFieldValues, batchId: string, batch: UploadBatch) {
    const { name, description, tags, status } = fields;
    const dataset = await this.#deps.metadata.datasets.reserve({
      owner: actor.own,
      id: randomUUID(),
      name,
      description: description ?? null,
      tags: tags ?? [],
      status: status ?? null,
      batchId,
    });
    this.#undoBatch(batch, actor, dataset.id, batchId);
    return dataset;
  }

  /** POST /datasets/{dataset}/files: one or more files (each optionally after its sha256 field). */
  async addFiles(
    actor: Actor,
    ref: string,
    parts: AsyncIterable<IncomingPart>,
    context: UploadContext & { overwrite: boolean },
  ): Promise<Dataset> {
    // Authorize and resolve before any byte moves.
    const dataset = await this.#deps.metadata.datasets.get(actor.scope, ref);
    const form = await readForm(parts, addFilesForm, context);
    await using batch = new UploadBatch(this.#deps.storage, this.#deps.log);
    const batchId = randomUUID();
    this.#undoBatch(batch, actor, dataset.id, batchId);
    const files = await this.#receiveFiles(actor, dataset, form.files, batch, {
      batchId,
      context,
      overwrite: context.overwrite,
    });
    // Awaited here, inside the batch's scope: the batch must not be disposed before it is committed.
    return await this.#finalize(actor, dataset.id, batchId, files, batch);
  }

  /**
   * POST /uploads with a dataset-file target: the checks and reservation of addFiles() for one
   * file, no bytes yet. The session's id is the batch, finalized like a one-file addFiles().
   */
  async reserveDirect(
    actor: Actor,
    target: { dataset: string; path: string; overwrite: boolean },
    batchId: string,
  ): Promise<DirectReservation> {
    const dataset = await this.#deps.metadata.datasets.get(actor.scope, target.dataset);
    const path = validateRelativePath(target.path);
    const { contentType } = fileTypeOf('dataset', datasetFileTypes, path);
    const file = await this.#deps.metadata.datasets.reserveFile({
      owner: actor.scope,
      datasetId: dataset.id,
      batchId,
      id: randomUUID(),
      path,
      contentType,
      overwrite: target.overwrite,
    });
    return {
      rowId: file.id,
      artifactId: dataset.id,
      ownerId: dataset.ownerId,
      datasetId: dataset.id,
      objectKey: file.objectKey,
      contentType,
      abandon: async () => {
        await this.#deps.metadata.datasets.abandonBatch({ owner: actor.scope, datasetId: dataset.id, batchId });
      },
    };
  }

  /** A stored, still pending file's profile (both upload paths end here, before their finalize). */
  async recordProfile(owner: OwnerScope, fileId: string, key: string, size: number, profiling: FileProfiling): Promise<void> {
    const record = await profiling.result(size, (start, end) => this.#deps.storage.readRange(key, start, end));
    try {
      await this.#deps.metadata.datasets.setProfile(owner, fileId, record, summaryOf(record), profiling.rowIndex);
    } catch (error) {
      // A profile the database refuses (say, too large) must not cost the user their upload.
      if (!isAppError(error) || error.code !== 'validation_failed') throw error;
      this.#deps.log.warn({ err: error, fileId }, 'profile not stored');
      const none = { profile: null, reason: 'The profile could not be stored.' };
      await this.#deps.metadata.datasets.setProfile(owner, fileId, none, summaryOf(none), undefined);
    }
  }

  /** The first rows of a file, read with Range requests (never the whole file). */
  async preview(actor: Actor, ref: string, fileId: string, rows: number): Promise<Preview> {
    const file = await this.#deps.metadata.datasets.getFile(actor.scope, ref, fileId);
    return previewOf(
      file,
      (start, end) => this.#deps.storage.readRange(file.objectKey, start, end),
      rows,
      this.#deps.profiles.parquet,
    );
  }

  get profileSettings(): ProfileSettings {
    return this.#deps.profiles;
  }

  profile(actor: Actor, ref: string, fileId: string): Promise<ProfileRecord> {
    return this.#deps.metadata.datasets.getProfile(actor.scope, ref, fileId);
  }

  list(actor: Actor, query: ListDatasets): Promise<Page<Dataset>> {
    return this.#deps.metadata.datasets.list(actor.scope, query);
  }

  get(actor: Actor, ref: string): Promise<Dataset> {
    return this.#deps.metadata.datasets.get(actor.scope, ref);
  }

  /** `patch` has passed datasetPatch (the route's body schema). */
  update(actor: Actor, ref: string, patch: DatasetPatch): Promise<Dataset> {
    return this.#deps.metadata.datasets.update(actor.scope, ref, patch);
  }

  /** Rows go first, in one transaction; then their objects (a failure there is an orphan to reconcile). */
  async delete(actor: Actor, ref: string, cascade: boolean): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.datasets.delete(actor.scope, ref, cascade);
    await deleteObjects(this.#deps.storage, deletedKeys, this.#deps.log);
  }

  /** A new version without the file; its bytes stay for the versions that hold it. */
  deleteFile(actor: Actor, ref: string, fileId: string): Promise<void> {
    return this.#deps.metadata.datasets.deleteFile(actor.scope, actor.principal.id, ref, fileId);
  }

  versions(actor: Actor, ref: string, query: { limit: number; cursor?: string | undefined }): Promise<Page<DatasetVersion>> {
    return this.#deps.metadata.datasets.listVersions(actor.scope, ref, query);
  }

  /**
   * A version with its files; with `links`, each file with a signed download URL, so a whole
   * snapshot comes down with one call.
   */
  async version(actor: Actor, ref: string, version: string, links?: DownloadRequest): Promise<DatasetVersion> {
    const found = await this.#deps.metadata.datasets.getVersion(actor.scope, ref, version);
    if (!links || !found.files) return found;
    const files = await Promise.all(
      found.files.map(async (file) => {
        const link = await downloadLink(
          this.#deps.storage,
          {
            key: file.objectKey,
            filename: basename(file.path),
            size: file.size,
            sha256: file.sha256,
            contentType: file.contentType,
          },
          links,
        );
        return { ...file, url: link.url, expiresAt: link.expiresAt };
      }),
    );
    return { ...found, files };
  }

  /** Rows first, then the objects only that version held (a failure there is an orphan to reconcile). */
  async deleteVersion(actor: Actor, ref: string, version: number): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.datasets.deleteVersion(actor.scope, ref, version);
    await deleteObjects(this.#deps.storage, deletedKeys, this.#deps.log);
  }

  lineage(actor: Actor, ref: string, version: string): Promise<DatasetVersionLineage> {
    return this.#deps.metadata.datasets.lineage(actor.scope, ref, version);
  }

  async download(actor: Actor, ref: string, fileId: string, request: DownloadRequest): Promise<DownloadLink> {
    const file = await this.#deps.metadata.datasets.getFile(actor.scope, ref, fileId);
    return downloadLink(
      this.#deps.storage,
      { key: file.objectKey, filename: basename(file.path), size: file.size, sha256: file.sha256, contentType: file.contentType },
      request,
    );
  }

  #undoBatch(batch: UploadBatch, actor: Actor, datasetId: string, batchId: string): void {
    batch.onUndo(() => this.#deps.metadata.datasets.abandonBatch({ owner: actor.scope, datasetId, batchId }));
  }

  /** Each file of the form through the one upload sequence, into this dataset's batch. */
  #receiveFiles(
    actor: Actor,
    dataset: Dataset,
    files: AsyncIterable<ReceivedFile>,
    batch: UploadBatch,
    request: { batchId: string; context: UploadContext; overwrite: boolean },
  ): Promise<FinishedFile[]> {
    const owner = actor.scope;
    return receiveFiles(
      files,
      {
        maxBytes: this.#deps.limits.datasetFileBytes,
        contentTypeOf: (path) => fileTypeOf('dataset', datasetFileTypes, path).contentType,
        reserve: (path, contentType) =>
          this.#deps.metadata.datasets.reserveFile({
            owner,
            datasetId: dataset.id,
            batchId: request.batchId,
            id: randomUUID(),
            path,
            contentType,
            overwrite: request.overwrite,
          }),
        profiling: (path) => new FileProfiling(path, this.#deps.profiles),
        recordProfile: (fileId, key, size, profiling) => this.recordProfile(owner, fileId, key, size, profiling),
      },
      batch,
      request.context,
    );
  }

  async #finalize(actor: Actor, datasetId: string, batchId: string, files: FinishedFile[], batch: UploadBatch): Promise<Dataset> {
    const dataset = await this.#deps.metadata.datasets.finalizeBatch({
      owner: actor.scope,
      by: actor.principal.id,
      datasetId,
      batchId,
      files,
    });
    batch.commit();
    return dataset;
  }
}
