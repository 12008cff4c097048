/**
 * Models: one file each, versioned per (dataset, name) by the database, with metrics and
 * parameters. Uploads run the shared single-file pipeline.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import { ownerScope, type Page, type Principal } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { fileTypeOf } from '../fields/file-types.ts';
import { basename, validateRelativePath } from '../fields/paths.ts';
import type { Logger } from '../logger.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ListModels } from '../metadata/model-records.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { onlyFile, readForm } from '../uploads/form-reader.ts';
import type { IncomingPart, UploadContext } from '../uploads/parts.ts';
import { deleteObjects, UploadBatch } from '../uploads/upload-batch.ts';
import {
  MODEL_LATE_FIELDS,
  type Model,
  type ModelFieldValues,
  type ModelPatch,
  type ModelTarget,
  modelFields,
  modelFileTypes,
} from './schema.ts';

export interface ModelServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
}

/** The form of POST /models: its fields, then exactly one file. */
const modelForm = {
  kind: 'model',
  fields: modelFields,
  repeatable: ['tags'],
  late: MODEL_LATE_FIELDS,
  files: { min: 1, max: 1 },
};

/** A model's fields once parsed, from the form or a direct-upload target. */
type ModelInput = ModelFieldValues | ModelTarget;

export class ModelService {
  readonly #deps: ModelServiceDeps;

  constructor(deps: ModelServiceDeps) {
    this.#deps = deps;
  }

  /** POST /models: fields, then exactly one file. The version is 1 + the highest of (dataset, name). */
  async create(principal: Principal, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<Model> {
    const { metadata, storage, limits, log } = this.#deps;
    const form = await readForm(parts, modelForm, context);
    await using batch = new UploadBatch(storage, log);
    const file = await onlyFile(form.files);
    const model = await this.#reserve(principal, form.fields, file.part.filename);
    batch.onUndo(() => metadata.models.abandon(ownerScope(principal), model.id));
    const stored = await batch.stream(file.part, {
      key: model.objectKey,
      contentType: model.contentType,
      maxBytes: limits.modelFileBytes,
      expectedSha256: file.expectedSha256,
      signal: context.signal,
    });
    await file.rest();
    const late = form.lateFields();
    if (Object.keys(late).length > 0) await metadata.models.patchPending(ownerScope(principal), model.id, late);
    const ready = await metadata.models.finalize(ownerScope(principal), model.id, stored);
    batch.commit();
    return ready;
  }

  /** POST /uploads with a model target: the checks and reservation of create(), no bytes yet. */
  async reserveDirect(principal: Principal, target: ModelTarget & { filename: string }): Promise<DirectReservation> {
    const model = await this.#reserve(principal, target, target.filename);
    return {
      rowId: model.id,
      ownerId: model.ownerId,
      datasetId: null,
      objectKey: model.objectKey,
      contentType: model.contentType,
      abandon: async () => {
        await this.#deps.metadata.models.abandon(ownerScope(principal), model.id);
      },
    };
  }

  /** Checks the file's name and type, authorizes on the dataset, and reserves the next version. */
  async #reserve(principal: Principal, input: ModelInput, rawFilename: string): Promise<Model> {
    const { metadata } = this.#deps;
    const filename = basename(validateRelativePath(rawFilename));
    const { contentType, format, safeToLoad, framework } = fileTypeOf('model', modelFileTypes, filename);
    // Resolving the dataset authorizes the upload before a byte moves.
    const dataset = await metadata.datasets.get(ownerScope(principal), input.dataset);
    return metadata.models.reserve({
      owner: ownerScope(principal),
      id: randomUUID(),
      datasetId: dataset.id,
      name: input.name,
      format,
      safeToLoad,
      framework: input.framework ?? framework ?? 'other',
      metrics: input.metrics ?? {},
      params: input.params ?? {},
      description: input.description ?? null,
      tags: input.tags ?? [],
      filename,
      contentType,
    });
  }

  list(principal: Principal, query: ListModels): Promise<Page<Model>> {
    return this.#deps.metadata.models.list(ownerScope(principal), query);
  }

  get(principal: Principal, id: string): Promise<Model> {
    return this.#deps.metadata.models.get(ownerScope(principal), id);
  }

  latest(principal: Principal, datasetRef: string, name: string): Promise<Model> {
    return this.#deps.metadata.models.latest(ownerScope(principal), datasetRef, name);
  }

  /** `patch` has passed modelPatch (the route's body schema). */
  update(principal: Principal, id: string, patch: ModelPatch): Promise<Model> {
    return this.#deps.metadata.models.update(ownerScope(principal), id, patch);
  }

  async delete(principal: Principal, id: string, cascade: boolean): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.models.delete(ownerScope(principal), id, cascade);
    await deleteObjects(this.#deps.storage, deletedKeys, this.#deps.log);
  }

  async download(principal: Principal, id: string, request: DownloadRequest): Promise<DownloadLink> {
    const model = await this.#deps.metadata.models.get(ownerScope(principal), id);
    return downloadLink(this.#deps.storage, { key: model.objectKey, ...model }, request);
  }
}
