/**
 * The upload engine and reads of model versions and explanations, written once: a kind is a
 * descriptor (VersionKindSpec: its form, accepted files, size limit, how it reserves its row and
 * what it learns from its file set), not a copy. A version holds one or more files; it is
 * reserved at its first file, each file is reserved and streamed in turn, and the version
 * becomes ready with all of them in one transaction, or nothing of it stays.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import type { Actor, OwnerScope, Page } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { AppError } from '../errors.ts';
import { basename, validateRelativePath } from '../fields/paths.ts';
import type { Logger } from '../logger.ts';
import type { VersionRecords } from '../metadata/version-records.ts';
import type { FileProfiling } from '../profiles/profile-file.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { type FormSpec, readForm } from '../uploads/form-reader.ts';
import type { IncomingPart, UploadContext } from '../uploads/parts.ts';
import { receiveFiles } from '../uploads/receive-files.ts';
import { deleteObjects, UploadBatch } from '../uploads/upload-batch.ts';
import type { StoredVersion } from './schema.ts';

/** What makes a kind of version (model, explanation) different from the other. */
export interface VersionKindSpec<Input> {
  /** model or explanation, for messages. */
  kind: string;
  form: FormSpec<z.ZodObject>;
  maxBytes(limits: Limits): number;
  /**
   * The stored content type of a file at `path` (415 unsupported_media_type when the kind does
   * not take it); `first`: the version's first file, which must say what the version is.
   */
  contentTypeOf(path: string, first: boolean): string;
  /**
   * The fields the pending version row is reserved with, as the API names them, resolving (and
   * so authorizing) what the version references, for its first file at `firstPath`.
   */
  fields(owner: OwnerScope, input: Input, firstPath: string): Promise<Record<string, unknown>>;
  /** Fields the whole file set decides (a model's format), set before the version is finalized. */
  describe?(paths: readonly string[]): Record<string, unknown>;
  /** What one more file changes of those fields (a pickle makes a model unsafe to load), if anything. */
  describeAdded?(path: string): Record<string, unknown> | undefined;
}

export interface VersionServiceDeps<R extends StoredVersion, ListQuery> {
  records: VersionRecords<R, ListQuery>;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
  /** Kinds whose files are profiled while they stream (an explanation's SHAP matrix), and how. */
  profiling?: VersionFileProfiling | undefined;
}

/** Profiling of a version's files in the upload pass: which it starts for, where results go. */
export interface VersionFileProfiling {
  start(path: string): FileProfiling | undefined;
  record(owner: OwnerScope, fileId: string, key: string, size: number, profiling: FileProfiling): Promise<void>;
}

export class VersionService<R extends StoredVersion, Input, ListQuery> {
  protected readonly deps: VersionServiceDeps<R, ListQuery>;
  readonly #spec: VersionKindSpec<Input>;

  constructor(deps: VersionServiceDeps<R, ListQuery>, spec: VersionKindSpec<Input>) {
    this.deps = deps;
    this.#spec = spec;
  }

  /** POST /models, POST /explanations: fields, then one or more files, each part's filename (or path field) its path. */
  async create(actor: Actor, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<R> {
    const { records, storage, limits, log, profiling } = this.deps;
    const owner = actor.scope;
    const form = await readForm(parts, this.#spec.form, context);
    await using batch = new UploadBatch(storage, log);
    const batchId = randomUUID();
    let version: R | undefined;
    const received = await receiveFiles(
      form.files,
      {
        maxBytes: this.#spec.maxBytes(limits),
        contentTypeOf: (path, index) => this.#spec.contentTypeOf(path, index === 0),
        reserve: async (path, contentType) => {
          if (!version) {
            const reserved = await this.#reserve(owner, form.fields as Input, path);
            batch.onUndo(() => records.abandon(owner, reserved.id));
            version = reserved;
          }
          return records.reserveFile(owner, version.id, { batchId, id: randomUUID(), path, contentType });
        },
        ...(profiling
          ? {
              profiling: (path: string) => profiling.start(path),
              recordProfile: (fileId: string, key: string, size: number, fed: FileProfiling) =>
                profiling.record(owner, fileId, key, size, fed),
            }
          : {}),
      },
      batch,
      context,
    );
    // The reader refuses a form without a file before it ends.
    if (!version) throw new AppError('missing_file', `Send the ${this.#spec.kind} file as a part named "file".`);
    const late = { ...form.lateFields(), ...this.#spec.describe?.(received.map((file) => file.path)) };
    if (Object.keys(late).length > 0) await records.patchPending(owner, version.id, late);
    const ready = await records.finalize(owner, version.id, received);
    batch.commit();
    return ready;
  }

  /**
   * POST /uploads with this kind's target: the checks and reservations of create(), no bytes
   * yet. The version's first file; `files` says how many it will hold, the others arriving by
   * reserveDirectFile.
   */
  async reserveDirect(actor: Actor, target: Input & { filename: string; files: number }): Promise<DirectReservation> {
    const { records } = this.deps;
    const owner = actor.scope;
    const path = validateRelativePath(target.filename);
    const contentType = this.#spec.contentTypeOf(path, true);
    const version = await this.#reserve(owner, target, path, target.files);
    const abandon = async () => {
      await records.abandon(owner, version.id);
    };
    try {
      const file = await records.reserveFile(owner, version.id, { batchId: randomUUID(), id: randomUUID(), path, contentType });
      return {
        rowId: file.id,
        artifactId: version.id,
        ownerId: version.ownerId,
        datasetId: null,
        objectKey: file.objectKey,
        contentType,
        abandon,
      };
    } catch (error) {
      await abandon().catch(() => undefined);
      throw error;
    }
  }

  /** POST /uploads naming a version its first upload reserved: one more of its files. */
  async reserveDirectFile(actor: Actor, versionId: string, rawPath: string): Promise<DirectReservation> {
    const { records } = this.deps;
    const owner = actor.scope;
    const path = validateRelativePath(rawPath);
    const contentType = this.#spec.contentTypeOf(path, false);
    const file = await records.reserveFile(owner, versionId, { batchId: randomUUID(), id: randomUUID(), path, contentType });
    // A version appears whole or not at all: giving up on one file gives up on the version.
    const abandon = async () => {
      await records.abandon(owner, versionId);
    };
    try {
      const patch = this.#spec.describeAdded?.(path);
      if (patch) await records.patchPending(owner, versionId, patch);
    } catch (error) {
      await abandon().catch(() => undefined);
      throw error;
    }
    return {
      rowId: file.id,
      artifactId: versionId,
      ownerId: file.ownerId,
      datasetId: null,
      objectKey: file.objectKey,
      contentType,
      abandon,
    };
  }

  async #reserve(owner: OwnerScope, input: Input, firstPath: string, expectedFiles?: number): Promise<R> {
    const fields = await this.#spec.fields(owner, input, firstPath);
    return this.deps.records.reserve(owner, randomUUID(), fields, expectedFiles);
  }

  list(actor: Actor, query: ListQuery): Promise<Page<R>> {
    return this.deps.records.list(actor.scope, query);
  }

  get(actor: Actor, id: string): Promise<R> {
    return this.deps.records.get(actor.scope, id);
  }

  update(actor: Actor, id: string, patch: Record<string, unknown>): Promise<R> {
    return this.deps.records.update(actor.scope, id, patch);
  }

  /** GET …/{id}/download: the link of a single-file version; 409 multiple_files names the files of any other. */
  async download(actor: Actor, id: string, request: DownloadRequest): Promise<DownloadLink> {
    const version = await this.deps.records.get(actor.scope, id);
    if (version.objectKey === null || version.files.length !== 1) {
      const files = version.files.map(({ id: fileId, path }) => ({ id: fileId, path }));
      throw new AppError(
        'multiple_files',
        `This ${this.#spec.kind} holds ${files.length} files; download each by its id (…/files/{fileId}/download).`,
        { details: { files } },
      );
    }
    const [file] = version.files as [StoredVersion['files'][number]];
    return downloadLink(this.deps.storage, { key: version.objectKey, filename: basename(file.path), ...file }, request);
  }

  /** GET …/{id}/files/{fileId}/download. */
  async downloadFile(actor: Actor, id: string, fileId: string, request: DownloadRequest): Promise<DownloadLink> {
    const file = await this.deps.records.getFile(actor.scope, id, fileId);
    return downloadLink(this.deps.storage, { key: file.objectKey, filename: basename(file.path), ...file }, request);
  }

  /** Rows first, in one transaction; then their objects (a failure there is an orphan to reconcile). */
  async delete(actor: Actor, id: string, cascade: boolean): Promise<void> {
    const { deletedKeys } = await this.deps.records.delete(actor.scope, actor.principal.id, id, cascade);
    await deleteObjects(this.deps.storage, deletedKeys, this.deps.log);
  }
}
