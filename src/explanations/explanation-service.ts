/**
 * Explanations: the output of an explainer (SHAP, LIME, …) run on a ready model, one file
 * each, with a JSON summary the frontend can chart without downloading the file.
 */
import { randomUUID } from 'node:crypto';
import type { Limits } from '../config.ts';
import { type Explanation, type ExplanationPatch, ownerScope, type Page, type Principal } from '../domain.ts';
import { type DownloadLink, type DownloadRequest, downloadLink } from '../downloads.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ListExplanations } from '../metadata/explanation-records.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { FormFields, parseDescription, parseTags } from '../uploads/form-fields.ts';
import { checkJsonObject, parseJsonObject } from '../uploads/json-fields.ts';
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
          const { model, ...input } = parseExplanationFields(fields);
          // The database checks the model (yours, ready) and fills in its dataset and name.
          const explanation = await metadata.explanations.reserve({
            owner: ownerScope(principal),
            id,
            modelId: model,
            ...input,
            filename,
            objectKeyTemplate: explanationKeyTemplate(input.method, id, filename),
            contentType,
          });
          return { key: explanation.objectKey };
        },
        finalize: async (stored, late) => {
          if (late.size > 0) {
            // The same parsing as before the file, now over every field; only the late ones are applied.
            const parsed = parseExplanationFields(fields);
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

  list(principal: Principal, query: ListExplanations): Promise<Page<Explanation>> {
    return this.#deps.metadata.explanations.list(ownerScope(principal), query);
  }

  get(principal: Principal, id: string): Promise<Explanation> {
    return this.#deps.metadata.explanations.get(ownerScope(principal), id);
  }

  update(principal: Principal, id: string, patch: ExplanationPatch): Promise<Explanation> {
    // Shape first (bounded depth), then size: serializing an unbounded value could overflow the stack.
    if (patch.summary) checkJsonObject('summary', patch.summary);
    if (patch.params) checkJsonObject('params', patch.params);
    if (patch.summary && Buffer.byteLength(JSON.stringify(patch.summary)) > MAX_SUMMARY_BYTES) {
      throw new AppError('field_too_large', `summary is larger than ${MAX_SUMMARY_BYTES} bytes.`);
    }
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

function parseExplanationFields(fields: FormFields) {
  const model = fields.one('model');
  const method = fields.one('method');
  if (!model || !method) {
    throw new AppError('missing_field', 'The fields "model" and "method" are required and must come before the file.');
  }
  if (!UUID.test(model)) throw new AppError('validation_failed', 'model must be a model id (uuid).');
  if (!METHOD.test(method)) {
    throw new AppError('validation_failed', 'method must be a slug such as shap or lime (lowercase letters, digits, _ or -).');
  }
  return {
    model,
    method,
    params: parseJsonObject('params', fields.one('params')),
    summary: parseJsonObject('summary', fields.one('summary'), MAX_SUMMARY_BYTES),
    description: parseDescription(fields.one('description')),
    tags: parseTags(fields.all('tags')),
  };
}
