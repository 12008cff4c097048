/** Model records: the model list (the calls every version kind shares are in VersionRecords). */
import type { OwnerScope, Page } from '../domain.ts';
import type { ModelLineage } from '../lineage/schema.ts';
import type { Model } from '../models/schema.ts';
import { EXPLANATION_JSON_FIELDS, MODEL_JSON_FIELDS, withClientJson } from './client-json.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';
import { VersionRecords } from './version-records.ts';

export interface ListModels {
  limit: number;
  cursor?: string | undefined;
  dataset?: string | undefined;
  /** With `dataset`: the models pinning this version of it (a number, latest or an alias). */
  datasetVersion?: string | undefined;
  name?: string | undefined;
  framework?: string | undefined;
  tag?: string | undefined;
  /** createdAt, or metrics.<name> (models without it come last). */
  sort: string;
  order: 'asc' | 'desc';
}

export class ModelRecords extends VersionRecords<Model, ListModels> {
  constructor(caller: SqlFunctionCaller, check: RecordCheck) {
    super(caller, 'model', MODEL_JSON_FIELDS, check);
  }

  /** A version of (dataset, name): `latest`, its number or an alias. */
  byRef(owner: OwnerScope, datasetRef: string, name: string, ref: string): Promise<Model> {
    const args = { p_owner: ownerArgument(owner), p_dataset_ref: datasetRef, p_name: name, p_ref: ref };
    return this.record('xai_model_by_ref', args);
  }

  async lineage(owner: OwnerScope, id: string): Promise<ModelLineage> {
    const lineage = await this.caller.call<ModelLineage>('xai_model_lineage', { p_owner: ownerArgument(owner), p_id: id });
    return { ...lineage, explanations: lineage.explanations.map((row) => withClientJson(row, EXPLANATION_JSON_FIELDS)) };
  }

  list(owner: OwnerScope, query: ListModels): Promise<Page<Model>> {
    const filters = {
      p_dataset_ref: query.dataset ?? null,
      p_dataset_version: query.datasetVersion ?? null,
      p_name: query.name ?? null,
      p_framework: query.framework ?? null,
      p_tag: query.tag ?? null,
      p_metric: query.sort === 'createdAt' ? null : query.sort.slice('metrics.'.length),
      p_desc: query.order === 'desc',
    };
    return this.listPage('xai_list_models', owner, query, filters, `${query.sort}:${query.order}`);
  }
}
