/**
 * Models: one file each, versioned per (dataset, name) by the database, with metrics and
 * parameters. Uploads run the shared single-file pipeline.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import { type Model, type ModelPatch, ownerScope, type Page, type Principal } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ListModels } from '../metadata/model-records.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { contentTypeFor } from '../uploads/content-types.ts';
import { FormFields, parseDescription, parseTags } from '../uploads/form-fields.ts';
import { checkJsonObject, parseJsonObject, validateMetrics } from '../uploads/json-fields.ts';
import { basename, validateRelativePath } from '../uploads/names.ts';
import { modelKeyTemplate } from '../uploads/object-keys.ts';
import type { IncomingPart, UploadContext } from '../uploads/parts.ts';
import { receiveSingleFile } from '../uploads/single-file-upload.ts';
import { deleteObjects } from '../uploads/upload-batch.ts';
import { FRAMEWORKS, frameworkFor, modelFormatOf } from './model-formats.ts';

export interface ModelServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
}

export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const FIELDS = ['dataset', 'name', 'framework', 'metrics', 'params', 'description', 'tags'];
/** Fields that may also follow the file: they describe it, they do not place it. */
const LATE_FIELDS = ['framework', 'metrics', 'params', 'description', 'tags'];

export class ModelService {
  readonly #deps: ModelServiceDeps;

  constructor(deps: ModelServiceDeps) {
    this.#deps = deps;
  }

  /** POST /models: fields, then exactly one file. The version is 1 + the highest of (dataset, name). */
  async create(principal: Principal, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<Model> {
    const { metadata, storage, limits, log } = this.#deps;
    const fields = new FormFields(FIELDS, ['tags']);
    const id = randomUUID();
    const upload = { kind: 'model' as const, maxBytes: limits.modelFileBytes, storage, log, lateFields: LATE_FIELDS };
    return receiveSingleFile(upload, parts, context, fields, {
      reserve: async ({ filename, contentType }) => {
        const model = await this.#reserve(principal, id, modelFields(readModelForm(fields)), filename, contentType);
        return { key: model.objectKey };
      },
      finalize: async (stored, late) => {
        if (late.size > 0) {
          // The same parsing as before the file, now over every field; only the late ones are applied.
          const parsed = modelFields(readModelForm(fields));
          const patch = Object.fromEntries([...late].map((name) => [name, parsed[name as keyof typeof parsed]]));
          await metadata.models.patchPending(ownerScope(principal), id, patch);
        }
        return metadata.models.finalize(ownerScope(principal), id, stored);
      },
      abandon: async () => {
        await metadata.models.abandon(ownerScope(principal), id);
      },
    });
  }

  /** POST /uploads with a model target: the checks and reservation of create(), no bytes yet. */
  async reserveDirect(principal: Principal, target: ModelFieldValues & { filename: string }): Promise<DirectReservation> {
    const input = modelFields(target);
    const filename = basename(validateRelativePath(target.filename));
    const contentType = contentTypeFor('model', filename);
    const model = await this.#reserve(principal, randomUUID(), input, filename, contentType);
    return {
      rowId: model.id,
      ownerId: model.ownerId,
      datasetId: null,
      objectKey: model.objectKey,
      contentType,
      abandon: async () => {
        await this.#deps.metadata.models.abandon(ownerScope(principal), model.id);
      },
    };
  }

  async #reserve(principal: Principal, id: string, input: ModelInput, filename: string, contentType: string): Promise<Model> {
    const { metadata } = this.#deps;
    const format = modelFormatOf(filename);
    // Resolving the dataset authorizes the upload before a byte moves.
    const dataset = await metadata.datasets.get(ownerScope(principal), input.dataset);
    return metadata.models.reserve({
      owner: ownerScope(principal),
      id,
      datasetId: dataset.id,
      name: input.name,
      ...format,
      framework: frameworkFor(input.framework, format.format),
      metrics: input.metrics,
      params: input.params,
      description: input.description,
      tags: input.tags,
      filename,
      contentType,
      objectKeyTemplate: modelKeyTemplate(dataset.name, input.name, id, filename),
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

  update(principal: Principal, id: string, patch: ModelPatch): Promise<Model> {
    return this.#deps.metadata.models.update(ownerScope(principal), id, {
      ...patch,
      ...(patch.tags ? { tags: parseTags(patch.tags) } : {}),
      ...(patch.metrics ? { metrics: validateMetrics('metrics', patch.metrics) } : {}),
      ...(patch.params ? { params: checkJsonObject('params', patch.params) } : {}),
    });
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

/** A model's descriptive fields as sent: from a form (JSON fields parsed) or a direct-upload target. */
export interface ModelFieldValues {
  dataset?: string | undefined;
  name?: string | undefined;
  framework?: string | undefined;
  metrics?: unknown;
  params?: unknown;
  description?: string | undefined;
  tags?: readonly string[] | undefined;
}

type ModelInput = ReturnType<typeof modelFields>;

function readModelForm(fields: FormFields): ModelFieldValues {
  return {
    dataset: fields.one('dataset'),
    name: fields.one('name'),
    framework: fields.one('framework'),
    metrics: parseJsonObject('metrics', fields.one('metrics')),
    params: parseJsonObject('params', fields.one('params')),
    description: fields.one('description'),
    tags: fields.all('tags'),
  };
}

/** The rules of a model's fields, one place for the form and the direct upload. */
function modelFields(values: ModelFieldValues) {
  const { dataset, name, framework } = values;
  if (!dataset || !name) {
    throw new AppError('missing_field', 'The fields "dataset" and "name" are required and must come before the file.');
  }
  if (!MODEL_NAME.test(name)) {
    throw new AppError('invalid_name', 'name must be 1-63 lowercase letters, digits, _ or -, starting with a letter or digit.');
  }
  if (framework !== undefined && !(FRAMEWORKS as readonly string[]).includes(framework)) {
    throw new AppError('validation_failed', `framework must be one of ${FRAMEWORKS.join(', ')}.`);
  }
  return {
    dataset,
    name,
    framework,
    metrics: validateMetrics('metrics', checkJsonObject('metrics', values.metrics ?? {})),
    params: checkJsonObject('params', values.params ?? {}),
    description: parseDescription(values.description),
    tags: parseTags(values.tags ?? []),
  };
}
