/** Explanation records: typed calls of the explanation SQL functions (the shared ones in VersionRecords). */
import type { DeletedKeys, OwnerScope, Page } from '../domain.ts';
import type { Explanation } from '../explanations/schema.ts';
import { decodeCursor, pageOf } from '../pagination.ts';
import { EXPLANATION_JSON_FIELDS } from './client-json.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';
import { VersionRecords } from './version-records.ts';

export interface ReserveExplanation {
  owner: OwnerScope;
  id: string;
  modelId: string;
  method: string;
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
  description: string | null;
  tags: string[];
  /** Direct uploads: how many files the explanation will hold (it is ready when they all are). */
  expectedFiles?: number | undefined;
}

export interface ListExplanations {
  limit: number;
  cursor?: string | undefined;
  model?: string | undefined;
  dataset?: string | undefined;
  method?: string | undefined;
  tag?: string | undefined;
}

export class ExplanationRecords extends VersionRecords<Explanation> {
  constructor(caller: SqlFunctionCaller, check: RecordCheck) {
    super(caller, 'explanation', EXPLANATION_JSON_FIELDS, check);
  }

  reserve(input: ReserveExplanation): Promise<Explanation> {
    return this.pending('xai_reserve_explanation', {
      p_owner: ownerArgument(input.owner),
      p_id: input.id,
      p_model_id: input.modelId,
      p_method: input.method,
      p_params: input.params,
      p_summary: input.summary,
      p_description: input.description,
      p_tags: input.tags,
      p_expected_files: input.expectedFiles ?? null,
    });
  }

  async list(owner: OwnerScope, query: ListExplanations): Promise<Page<Explanation>> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.records('xai_list_explanations', {
      p_owner: ownerArgument(owner),
      p_limit: query.limit + 1,
      p_model_id: query.model ?? null,
      p_dataset_ref: query.dataset ?? null,
      p_method: query.method ?? null,
      p_tag: query.tag ?? null,
      p_after_created: after?.createdAt ?? null,
      p_after_id: after?.id ?? null,
    });
    return pageOf(rows, query.limit);
  }

  delete(owner: OwnerScope, id: string): Promise<DeletedKeys> {
    return this.caller.call('xai_delete_explanation', { p_owner: ownerArgument(owner), p_id: id });
  }
}
