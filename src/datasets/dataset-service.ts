/**
 * Datasets: named collections of files. Uploads follow the pipeline: reserve rows (the
 * database decides races before a byte moves), stream each file into storage, finalize the
 * whole request in one transaction, or undo all of it.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import { type Dataset, type DatasetPatch, type OwnerScope, ownerScope, ownScope, type Page, type Principal } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { AppError, isAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { FinishedFile, ListDatasets } from '../metadata/dataset-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import { type Preview, previewOf } from '../profiles/preview.ts';
import type { ProfileRecord } from '../profiles/profile.ts';
import { FileProfiling, type ProfileSettings, summaryOf } from '../profiles/profile-file.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { contentTypeFor } from '../uploads/content-types.ts';
import { parseHexSha256 } from '../uploads/digests.ts';
import { FormFields, parseDescription, parseStatus, parseTags } from '../uploads/form-fields.ts';
import { basename, validateDatasetName, validateRelativePath } from '../uploads/names.ts';
import { datasetFileKey } from '../uploads/object-keys.ts';
import type { FilePart, IncomingPart, UploadContext } from '../uploads/parts.ts';
import { deleteObjects, type StreamedObject, UploadBatch } from '../uploads/upload-batch.ts';

export interface DatasetServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
  profiles: ProfileSettings;
}

/** One request's upload: its batch id, the rows it reserved and the objects it wrote. */
interface DatasetUpload {
  batchId: string;
  batch: UploadBatch;
  finished: FinishedFile[];
  /** sha256 field waiting for the next file part. */
  pendingSha256: string | undefined;
  filesSeen: number;
}

const CREATE_FIELDS = ['name', 'description', 'tags', 'status', 'sha256'];

export class DatasetService {
  readonly #deps: DatasetServiceDeps;

  constructor(deps: DatasetServiceDeps) {
    this.#deps = deps;
  }

  /** POST /datasets: fields first, then zero or more files; all or nothing. */
  async create(principal: Principal, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<Dataset> {
    const fields = new FormFields(CREATE_FIELDS, ['tags']);
    const upload = this.#newUpload();
    let dataset: Dataset | undefined;
    try {
      for await (const part of parts) {
        if (part.kind === 'field') {
          if (dataset && part.name !== 'sha256') throw fieldAfterFile(part.name);
          if (part.name === 'sha256') upload.pendingSha256 = part.value === '' ? undefined : parseHexSha256(part.value);
          else fields.add(part);
          continue;
        }
        dataset ??= await this.#reserveDataset(principal, fields, upload.batchId);
        await this.#acceptFile(principal, dataset, part, upload, context, false);
      }
      dataset ??= await this.#reserveDataset(principal, fields, upload.batchId);
      return await this.#finalize(principal, dataset.id, upload);
    } catch (error) {
      await this.#undo(principal, dataset?.id, upload);
      throw error;
    }
  }

  /** POST /datasets/{dataset}/files: one or more files (each optionally after its sha256 field). */
  async addFiles(
    principal: Principal,
    ref: string,
    parts: AsyncIterable<IncomingPart>,
    context: UploadContext & { overwrite: boolean },
  ): Promise<Dataset> {
    // Authorize and resolve before any byte moves.
    const dataset = await this.#deps.metadata.datasets.get(ownerScope(principal), ref);
    const upload = this.#newUpload();
    try {
      for await (const part of parts) {
        if (part.kind === 'field') {
          if (part.name !== 'sha256') {
            throw new AppError(
              'unexpected_part',
              `Unknown field ${JSON.stringify(part.name)}; send sha256 fields and file parts.`,
            );
          }
          upload.pendingSha256 = part.value === '' ? undefined : parseHexSha256(part.value);
          continue;
        }
        await this.#acceptFile(principal, dataset, part, upload, context, context.overwrite);
      }
      if (upload.filesSeen === 0) throw new AppError('missing_file', 'Send at least one file part named "file".');
      return await this.#finalize(principal, dataset.id, upload);
    } catch (error) {
      await this.#undo(principal, dataset.id, upload);
      throw error;
    }
  }

  /**
   * POST /uploads with a dataset-file target: the checks and reservation of addFiles() for one
   * file, no bytes yet. The session's id is the batch, finalized like a one-file addFiles().
   */
  async reserveDirect(
    principal: Principal,
    target: { dataset: string; path: string; overwrite: boolean },
    batchId: string,
  ): Promise<DirectReservation> {
    const dataset = await this.#deps.metadata.datasets.get(ownerScope(principal), target.dataset);
    const path = validateRelativePath(target.path);
    const contentType = contentTypeFor('dataset', path);
    const id = randomUUID();
    const objectKey = datasetFileKey(dataset.name, id, path);
    await this.#deps.metadata.datasets.reserveFile({
      owner: ownerScope(principal),
      datasetId: dataset.id,
      batchId,
      id,
      path,
      objectKey,
      contentType,
      overwrite: target.overwrite,
    });
    return {
      rowId: id,
      ownerId: dataset.ownerId,
      datasetId: dataset.id,
      objectKey,
      contentType,
      abandon: async () => {
        await this.#deps.metadata.datasets.abandonBatch({ owner: ownerScope(principal), datasetId: dataset.id, batchId });
      },
    };
  }

  /** A stored, still pending file's profile (both upload paths end here, before their finalize). */
  async recordProfile(owner: OwnerScope, fileId: string, key: string, size: number, profiling: FileProfiling): Promise<void> {
    const record = await profiling.result(size, (start, end) => this.#deps.storage.readRange(key, start, end));
    try {
      await this.#deps.metadata.datasets.setProfile(owner, fileId, record, summaryOf(record));
    } catch (error) {
      // A profile the database refuses (say, too large) must not cost the user their upload.
      if (!isAppError(error) || error.code !== 'validation_failed') throw error;
      this.#deps.log.warn({ err: error, fileId }, 'profile not stored');
      const none = { profile: null, reason: 'The profile could not be stored.' };
      await this.#deps.metadata.datasets.setProfile(owner, fileId, none, summaryOf(none));
    }
  }

  /** The first rows of a file, read with Range requests (never the whole file). */
  async preview(principal: Principal, ref: string, fileId: string, rows: number): Promise<Preview> {
    const file = await this.#deps.metadata.datasets.getFile(ownerScope(principal), ref, fileId);
    return previewOf(file, (start, end) => this.#deps.storage.readRange(file.objectKey, start, end), rows);
  }

  get profileSettings(): ProfileSettings {
    return this.#deps.profiles;
  }

  profile(principal: Principal, ref: string, fileId: string): Promise<ProfileRecord> {
    return this.#deps.metadata.datasets.getProfile(ownerScope(principal), ref, fileId);
  }

  list(principal: Principal, query: ListDatasets): Promise<Page<Dataset>> {
    return this.#deps.metadata.datasets.list(ownerScope(principal), query);
  }

  get(principal: Principal, ref: string): Promise<Dataset> {
    return this.#deps.metadata.datasets.get(ownerScope(principal), ref);
  }

  update(principal: Principal, ref: string, patch: DatasetPatch): Promise<Dataset> {
    return this.#deps.metadata.datasets.update(ownerScope(principal), ref, {
      ...patch,
      ...(patch.tags ? { tags: parseTags(patch.tags) } : {}),
    });
  }

  /** Rows go first, in one transaction; then their objects (a failure there is an orphan to reconcile). */
  async delete(principal: Principal, ref: string, cascade: boolean): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.datasets.delete(ownerScope(principal), ref, cascade);
    await deleteObjects(this.#deps.storage, deletedKeys, this.#deps.log);
  }

  async deleteFile(principal: Principal, ref: string, fileId: string): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.datasets.deleteFile(ownerScope(principal), ref, fileId);
    await deleteObjects(this.#deps.storage, deletedKeys, this.#deps.log);
  }

  async download(principal: Principal, ref: string, fileId: string, request: DownloadRequest): Promise<DownloadLink> {
    const file = await this.#deps.metadata.datasets.getFile(ownerScope(principal), ref, fileId);
    return downloadLink(
      this.#deps.storage,
      { key: file.objectKey, filename: basename(file.path), size: file.size, sha256: file.sha256, contentType: file.contentType },
      request,
    );
  }

  #newUpload(): DatasetUpload {
    return {
      batchId: randomUUID(),
      batch: new UploadBatch(this.#deps.storage, this.#deps.log),
      finished: [],
      pendingSha256: undefined,
      filesSeen: 0,
    };
  }

  async #reserveDataset(principal: Principal, fields: FormFields, batchId: string): Promise<Dataset> {
    const name = fields.one('name');
    if (name === undefined) {
      throw new AppError('missing_field', 'The field "name" is required and must come before the file parts.');
    }
    return this.#deps.metadata.datasets.reserve({
      owner: ownScope(principal),
      id: randomUUID(),
      name: validateDatasetName(name),
      description: parseDescription(fields.one('description')),
      tags: parseTags(fields.all('tags')),
      status: parseStatus(fields.one('status')),
      batchId,
    });
  }

  async #acceptFile(
    principal: Principal,
    dataset: Dataset,
    part: FilePart,
    upload: DatasetUpload,
    context: UploadContext,
    overwrite: boolean,
  ): Promise<void> {
    if (part.name !== 'file') {
      throw new AppError('unexpected_part', `File parts must be named "file", not ${JSON.stringify(part.name)}.`);
    }
    upload.filesSeen += 1;
    if (context.headerSha256 && upload.filesSeen > 1) {
      throw new AppError(
        'invalid_digest',
        'A Repr-Digest or Content-Digest header applies to single-file requests only; send a sha256 field before each file instead.',
      );
    }
    const path = validateRelativePath(part.filename);
    const contentType = contentTypeFor('dataset', path);
    const id = randomUUID();
    const key = datasetFileKey(dataset.name, id, path);
    await this.#deps.metadata.datasets.reserveFile({
      owner: ownerScope(principal),
      datasetId: dataset.id,
      batchId: upload.batchId,
      id,
      path,
      objectKey: key,
      contentType,
      overwrite,
    });
    const expectedSha256 = upload.pendingSha256 ?? context.headerSha256;
    upload.pendingSha256 = undefined;
    const profiling = new FileProfiling(path, this.#deps.profiles);
    let stored: StreamedObject;
    try {
      stored = await upload.batch.stream(part, {
        key,
        contentType,
        maxBytes: this.#deps.limits.datasetFileBytes,
        expectedSha256,
        signal: context.signal,
        observe: profiling.observe,
      });
    } catch (error) {
      profiling.abandon();
      throw error;
    }
    await this.recordProfile(ownerScope(principal), id, key, stored.size, profiling);
    upload.finished.push({ id, size: stored.size, sha256: stored.sha256, etag: stored.etag });
  }

  async #finalize(principal: Principal, datasetId: string, upload: DatasetUpload): Promise<Dataset> {
    if (upload.pendingSha256) {
      throw new AppError('missing_file', 'A sha256 field was sent with no file part after it.');
    }
    const { dataset, replacedKeys } = await this.#deps.metadata.datasets.finalizeBatch({
      owner: ownerScope(principal),
      datasetId,
      batchId: upload.batchId,
      files: upload.finished,
    });
    // Old bytes of overwritten paths go only now that the metadata points at the new ones.
    await deleteObjects(this.#deps.storage, replacedKeys, this.#deps.log);
    return dataset;
  }

  async #undo(principal: Principal, datasetId: string | undefined, upload: DatasetUpload): Promise<void> {
    await upload.batch.discard();
    if (!datasetId) return;
    try {
      await this.#deps.metadata.datasets.abandonBatch({ owner: ownerScope(principal), datasetId, batchId: upload.batchId });
    } catch (error) {
      this.#deps.log.warn({ err: error, batchId: upload.batchId }, 'pending rows left for the reconciler: abandon failed');
    }
  }
}

function fieldAfterFile(name: string): AppError {
  return new AppError(
    'field_after_file',
    `The field ${JSON.stringify(name)} came after a file part; send every field before the first file.`,
  );
}
