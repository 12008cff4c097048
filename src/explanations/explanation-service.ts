/**
 * Explanations: the output of an explainer (SHAP, LIME, …) run on a ready model, one file
 * each, with a JSON summary the frontend can chart without downloading the file.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import { ownerScope, type Page, type Principal } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { fileTypeOf } from '../fields/file-types.ts';
import { basename, validateRelativePath } from '../fields/paths.ts';
import type { Logger } from '../logger.ts';
import type { ListExplanations } from '../metadata/explanation-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { onlyFile, readForm } from '../uploads/form-reader.ts';
import type { IncomingPart, UploadContext } from '../uploads/parts.ts';
import { deleteObjects, UploadBatch } from '../uploads/upload-batch.ts';
import {
  EXPLANATION_LATE_FIELDS,
  type Explanation,
  type ExplanationFieldValues,
  type ExplanationPatch,
  type ExplanationTarget,
  explanationFields,
  explanationFileTypes,
} from './schema.ts';

export interface ExplanationServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
}

/** The form of POST /explanations: its fields, then exactly one file. */
const explanationForm = {
  kind: 'explanation',
  fields: explanationFields,
  repeatable: ['tags'],
  late: EXPLANATION_LATE_FIELDS,
  files: { min: 1, max: 1 },
};

/** An explanation's fields once parsed, from the form or a direct-upload target. */
type ExplanationInput = ExplanationFieldValues | ExplanationTarget;

export class ExplanationService {
  readonly #deps: ExplanationServiceDeps;

  constructor(deps: ExplanationServiceDeps) {
    this.#deps = deps;
  }

  /** POST /explanations: fields (model, method, ...), then exactly one file. */
  async create(principal: Principal, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<Explanation> {
    const { metadata, storage, limits, log } = this.#deps;
    const form = await readForm(parts, explanationForm, context);
    await using batch = new UploadBatch(storage, log);
    const file = await onlyFile(form.files);
    const explanation = await this.#reserve(principal, form.fields, file.part.filename);
    batch.onUndo(() => metadata.explanations.abandon(ownerScope(principal), explanation.id));
    const stored = await batch.stream(file.part, {
      key: explanation.objectKey,
      contentType: explanation.contentType,
      maxBytes: limits.explanationFileBytes,
      expectedSha256: file.expectedSha256,
      signal: context.signal,
    });
    await file.rest();
    const late = form.lateFields();
    if (Object.keys(late).length > 0) await metadata.explanations.patchPending(ownerScope(principal), explanation.id, late);
    const ready = await metadata.explanations.finalize(ownerScope(principal), explanation.id, stored);
    batch.commit();
    return ready;
  }

  /** POST /uploads with an explanation target: the checks and reservation of create(), no bytes yet. */
  async reserveDirect(principal: Principal, target: ExplanationTarget & { filename: string }): Promise<DirectReservation> {
    const explanation = await this.#reserve(principal, target, target.filename);
    return {
      rowId: explanation.id,
      ownerId: explanation.ownerId,
      datasetId: null,
      objectKey: explanation.objectKey,
      contentType: explanation.contentType,
      abandon: async () => {
        await this.#deps.metadata.explanations.abandon(ownerScope(principal), explanation.id);
      },
    };
  }

  /** Checks the file's name and type and reserves the row; the database checks the model (yours, ready). */
  #reserve(principal: Principal, input: ExplanationInput, rawFilename: string): Promise<Explanation> {
    const filename = basename(validateRelativePath(rawFilename));
    const { contentType } = fileTypeOf('explanation', explanationFileTypes, filename);
    return this.#deps.metadata.explanations.reserve({
      owner: ownerScope(principal),
      id: randomUUID(),
      modelId: input.model,
      method: input.method,
      params: input.params ?? {},
      summary: input.summary ?? {},
      description: input.description ?? null,
      tags: input.tags ?? [],
      filename,
      contentType,
    });
  }

  list(principal: Principal, query: ListExplanations): Promise<Page<Explanation>> {
    return this.#deps.metadata.explanations.list(ownerScope(principal), query);
  }

  get(principal: Principal, id: string): Promise<Explanation> {
    return this.#deps.metadata.explanations.get(ownerScope(principal), id);
  }

  /** `patch` has passed explanationPatch (the route's body schema). */
  update(principal: Principal, id: string, patch: ExplanationPatch): Promise<Explanation> {
    return this.#deps.metadata.explanations.update(ownerScope(principal), id, patch);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const { deletedKeys } = await this.#deps.metadata.explanations.delete(ownerScope(principal), id);
    await deleteObjects(this.#deps.storage, deletedKeys, this.#deps.log);
  }

  async download(principal: Principal, id: string, request: DownloadRequest): Promise<DownloadLink> {
    const explanation = await this.#deps.metadata.explanations.get(ownerScope(principal), id);
    return downloadLink(this.#deps.storage, { key: explanation.objectKey, ...explanation }, request);
  }
}
