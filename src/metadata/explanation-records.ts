/** Explanation records: typed calls of the explanation SQL functions. */
import type { DeletedKeys, OwnerScope, Page } from '../domain.ts';
import type { Explanation, ExplanationPatch } from '../explanations/schema.ts';
import { decodeCursor, pageOf } from '../pagination.ts';
import { EXPLANATION_JSON_FIELDS, withClientJson } from './client-json.ts';
import type { StoredFile } from './model-records.ts';
import { ownerArgument } from './owner-argument.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';

export interface ReserveExplanation {
  owner: OwnerScope;
  id: string;
  modelId: string;
  method: string;
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
  description: string | null;
  tags: string[];
  filename: string;
  contentType: string;
}

export interface ListExplanations {
  limit: number;
  cursor?: string | undefined;
  model?: string | undefined;
  dataset?: string | undefined;
  method?: string | undefined;
  tag?: string | undefined;
}

export class ExplanationRecords {
  readonly #caller: SqlFunctionCaller;

  constructor(caller: SqlFunctionCaller) {
    this.#caller = caller;
  }

  /** A call answering one explanation record, its client JSON parsed (see client-json.ts). */
  async #record(fn: string, args: Parameters<SqlFunctionCaller['call']>[1]): Promise<Explanation> {
    return withClientJson(await this.#caller.call<Explanation>(fn, args), EXPLANATION_JSON_FIELDS);
  }

  reserve(input: ReserveExplanation): Promise<Explanation> {
    return this.#record('xai_reserve_explanation', {
      p_owner: ownerArgument(input.owner),
      p_id: input.id,
      p_model_id: input.modelId,
      p_method: input.method,
      p_params: input.params,
      p_summary: input.summary,
      p_description: input.description,
      p_tags: input.tags,
      p_filename: input.filename,
      p_content_type: input.contentType,
    });
  }

  finalize(owner: OwnerScope, id: string, file: StoredFile): Promise<Explanation> {
    return this.#record('xai_finalize_explanation', {
      p_owner: ownerArgument(owner),
      p_id: id,
      p_size: file.size,
      p_sha256: file.sha256,
      p_etag: file.etag,
    });
  }

  /** Fields the form sent after the file, onto the row still pending. */
  async patchPending(owner: OwnerScope, id: string, patch: ExplanationPatch): Promise<void> {
    await this.#caller.call('xai_patch_pending_explanation', { p_owner: ownerArgument(owner), p_id: id, p_patch: { ...patch } });
  }

  abandon(owner: OwnerScope, id: string): Promise<DeletedKeys> {
    return this.#caller.call('xai_abandon_explanation', { p_owner: ownerArgument(owner), p_id: id });
  }

  get(owner: OwnerScope, id: string): Promise<Explanation> {
    return this.#record('xai_get_explanation', { p_owner: ownerArgument(owner), p_id: id });
  }

  async list(owner: OwnerScope, query: ListExplanations): Promise<Page<Explanation>> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.#caller.call<Explanation[]>('xai_list_explanations', {
      p_owner: ownerArgument(owner),
      p_limit: query.limit + 1,
      p_model_id: query.model ?? null,
      p_dataset_ref: query.dataset ?? null,
      p_method: query.method ?? null,
      p_tag: query.tag ?? null,
      p_after_created: after?.createdAt ?? null,
      p_after_id: after?.id ?? null,
    });
    for (const row of rows) withClientJson(row, EXPLANATION_JSON_FIELDS);
    return pageOf(rows, query.limit);
  }

  update(owner: OwnerScope, id: string, patch: ExplanationPatch): Promise<Explanation> {
    return this.#record('xai_update_explanation', { p_owner: ownerArgument(owner), p_id: id, p_patch: { ...patch } });
  }

  delete(owner: OwnerScope, id: string): Promise<DeletedKeys> {
    return this.#caller.call('xai_delete_explanation', { p_owner: ownerArgument(owner), p_id: id });
  }
}
