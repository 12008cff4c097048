/**
 * Explanations: the output of an explainer (SHAP, LIME, …) run on a ready model, one file
 * each, with a JSON summary the frontend can chart without downloading the file.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import type { DirectReservation } from '../direct-uploads/reservation.ts';
import { type Explanation, type ExplanationPatch, ownerScope, type Page, type Principal } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ListExplanations } from '../metadata/explanation-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { contentTypeFor } from '../uploads/content-types.ts';
import { FormFields, parseDescription, parseTags } from '../uploads/form-fields.ts';
import { checkJsonObject, parseJsonObject } from '../uploads/json-fields.ts';
import { basename, validateRelativePath } from '../uploads/names.ts';
import { explanationKeyTemplate } from '../uploads/object-keys.ts';
import type { IncomingPart, UploadContext } from '../uploads/parts.ts';
import { receiveSingleFile } from '../uploads/single-file-upload.ts';
import { deleteObjects } from '../uploads/upload-batch.ts';

export interface ExplanationServiceDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  limits: Limits;
  log: Logger;
}

export const METHOD = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const MAX_SUMMARY_BYTES = 256 * 1024;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const FIELDS = ['model', 'method', 'params', 'summary', 'description', 'tags'];
/** Fields that may also follow the file: they describe it, they do not place it. */
const LATE_FIELDS = ['params', 'summary', 'description', 'tags'];

export class ExplanationService {
  readonly #deps: ExplanationServiceDeps;

  constructor(deps: ExplanationServiceDeps) {
    this.#deps = deps;
  }

  /** POST /explanations: fields (model, method, ...), then exactly one file. */
  async create(principal: Principal, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<Explanation> {
    const { metadata, storage, limits, log } = this.#deps;
    const fields = new FormFields(FIELDS, ['tags']);
    const id = randomUUID();
    return receiveSingleFile(
      { kind: 'explanation', maxBytes: limits.explanationFileBytes, storage, log, lateFields: LATE_FIELDS },
      parts,
      context,
      fields,
      {
        reserve: async ({ filename, contentType }) => {
          const explanation = await this.#reserve(
            principal,
            id,
            explanationFields(readExplanationForm(fields)),
            filename,
            contentType,
          );
          return { key: explanation.objectKey };
        },
        finalize: async (stored, late) => {
          if (late.size > 0) {
            // The same parsing as before the file, now over every field; only the late ones are applied.
            const parsed = explanationFields(readExplanationForm(fields));
            const patch = Object.fromEntries([...late].map((name) => [name, parsed[name as keyof typeof parsed]]));
            await metadata.explanations.patchPending(ownerScope(principal), id, patch);
          }
          return metadata.explanations.finalize(ownerScope(principal), id, stored);
        },
        abandon: async () => {
          await metadata.explanations.abandon(ownerScope(principal), id);
        },
      },
    );
  }

  /** POST /uploads with an explanation target: the checks and reservation of create(), no bytes yet. */
  async reserveDirect(principal: Principal, target: ExplanationFieldValues & { filename: string }): Promise<DirectReservation> {
    const input = explanationFields(target);
    const filename = basename(validateRelativePath(target.filename));
    const contentType = contentTypeFor('explanation', filename);
    const explanation = await this.#reserve(principal, randomUUID(), input, filename, contentType);
    return {
      rowId: explanation.id,
      ownerId: explanation.ownerId,
      datasetId: null,
      objectKey: explanation.objectKey,
      contentType,
      abandon: async () => {
        await this.#deps.metadata.explanations.abandon(ownerScope(principal), explanation.id);
      },
    };
  }

  #reserve(principal: Principal, id: string, input: ExplanationInput, filename: string, contentType: string) {
    const { model, ...rest } = input;
    // The database checks the model (yours, ready) and fills in its dataset and name.
    return this.#deps.metadata.explanations.reserve({
      owner: ownerScope(principal),
      id,
      modelId: model,
      ...rest,
      filename,
      objectKeyTemplate: explanationKeyTemplate(rest.method, id, filename),
      contentType,
    });
  }

  list(principal: Principal, query: ListExplanations): Promise<Page<Explanation>> {
    return this.#deps.metadata.explanations.list(ownerScope(principal), query);
  }

  get(principal: Principal, id: string): Promise<Explanation> {
    return this.#deps.metadata.explanations.get(ownerScope(principal), id);
  }

  update(principal: Principal, id: string, patch: ExplanationPatch): Promise<Explanation> {
    if (patch.summary) checkSummary(patch.summary);
    if (patch.params) checkJsonObject('params', patch.params);
    return this.#deps.metadata.explanations.update(ownerScope(principal), id, {
      ...patch,
      ...(patch.tags ? { tags: parseTags(patch.tags) } : {}),
    });
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

/** An explanation's fields as sent: from a form (JSON fields parsed) or a direct-upload target. */
export interface ExplanationFieldValues {
  model?: string | undefined;
  method?: string | undefined;
  params?: unknown;
  summary?: unknown;
  description?: string | undefined;
  tags?: readonly string[] | undefined;
}

type ExplanationInput = ReturnType<typeof explanationFields>;

function readExplanationForm(fields: FormFields): ExplanationFieldValues {
  return {
    model: fields.one('model'),
    method: fields.one('method'),
    params: parseJsonObject('params', fields.one('params')),
    summary: parseJsonObject('summary', fields.one('summary'), MAX_SUMMARY_BYTES),
    description: fields.one('description'),
    tags: fields.all('tags'),
  };
}

/** The rules of an explanation's fields, one place for the form, the direct upload and PATCH. */
function explanationFields(values: ExplanationFieldValues) {
  const { model, method } = values;
  if (!model || !method) {
    throw new AppError('missing_field', 'The fields "model" and "method" are required and must come before the file.');
  }
  if (!UUID.test(model)) throw new AppError('validation_failed', 'model must be a model id (uuid).');
  if (!METHOD.test(method)) {
    throw new AppError('validation_failed', 'method must be a slug such as shap or lime (lowercase letters, digits, _ or -).');
  }
  const summary = checkSummary(values.summary ?? {});
  return {
    model,
    method,
    params: checkJsonObject('params', values.params ?? {}),
    summary,
    description: parseDescription(values.description),
    tags: parseTags(values.tags ?? []),
  };
}

/** Shape first (bounded depth), then size: serializing an unbounded value could overflow the stack. */
function checkSummary(value: unknown): Record<string, unknown> {
  const summary = checkJsonObject('summary', value);
  if (Buffer.byteLength(JSON.stringify(summary)) > MAX_SUMMARY_BYTES) {
    throw new AppError('field_too_large', `summary is larger than ${MAX_SUMMARY_BYTES} bytes.`);
  }
  return summary;
}
