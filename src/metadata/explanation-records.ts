/** Explanation records: the explanation list (the calls every version kind shares are in VersionRecords). */
import type { OwnerScope, Page } from '../domain.ts';
import type { ExplanationImportances, ImportanceComparison } from '../explanations/importances.ts';
import type { Explanation } from '../explanations/schema.ts';
import { EXPLANATION_JSON_FIELDS } from './client-json.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';
import { VersionRecords } from './version-records.ts';

export interface ListExplanations {
  limit: number;
  cursor?: string | undefined;
  model?: string | undefined;
  dataset?: string | undefined;
  /** With `dataset`: the explanations of this version of it (a number, latest or an alias). */
  datasetVersion?: string | undefined;
  method?: string | undefined;
  tag?: string | undefined;
  /** Only explanations in which this feature ranks at most `maxRank` (any rank without it). */
  feature?: string | undefined;
  maxRank?: number | undefined;
}

export class ExplanationRecords extends VersionRecords<Explanation, ListExplanations> {
  constructor(caller: SqlFunctionCaller, check: RecordCheck) {
    super(caller, 'explanation', EXPLANATION_JSON_FIELDS, check);
  }

  list(owner: OwnerScope, query: ListExplanations): Promise<Page<Explanation>> {
    return this.listPage('xai_list_explanations', owner, query, {
      p_model_id: query.model ?? null,
      p_dataset_ref: query.dataset ?? null,
      p_dataset_version: query.datasetVersion ?? null,
      p_method: query.method ?? null,
      p_tag: query.tag ?? null,
      p_feature: query.feature ?? null,
      p_max_rank: query.maxRank ?? null,
    });
  }

  importances(owner: OwnerScope, id: string, top: number): Promise<ExplanationImportances> {
    return this.caller.call('xai_explanation_importances', { p_owner: ownerArgument(owner), p_id: id, p_top: top });
  }

  /** Where an explanation's rows are read from (supabase/sql/36_explanation_rows.sql). */
  rowsSource(owner: OwnerScope, id: string, withData: boolean): Promise<unknown> {
    return this.caller.call('xai_explanation_rows_source', { p_owner: ownerArgument(owner), p_id: id, p_with_data: withData });
  }

  compareImportances(
    owner: OwnerScope,
    query: { dataset: string; name: string; method: string; top: number },
  ): Promise<ImportanceComparison> {
    return this.caller.call('xai_compare_importances', {
      p_owner: ownerArgument(owner),
      p_dataset_ref: query.dataset,
      p_name: query.name,
      p_method: query.method,
      p_top: query.top,
    });
  }
}
