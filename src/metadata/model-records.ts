/** Model records: the model list (the calls every version kind shares are in VersionRecords). */
import type { OwnerScope, Page } from '../domain.ts';
import type { Model } from '../models/schema.ts';
import { MODEL_JSON_FIELDS } from './client-json.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';
import { VersionRecords } from './version-records.ts';

export interface ListModels {
  limit: number;
  cursor?: string | undefined;
  dataset?: string | undefined;
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

  latest(owner: OwnerScope, datasetRef: string, name: string): Promise<Model> {
    return this.record('xai_latest_model', { p_owner: ownerArgument(owner), p_dataset_ref: datasetRef, p_name: name });
  }

  list(owner: OwnerScope, query: ListModels): Promise<Page<Model>> {
    const filters = {
      p_dataset_ref: query.dataset ?? null,
      p_name: query.name ?? null,
      p_framework: query.framework ?? null,
      p_tag: query.tag ?? null,
      p_metric: query.sort === 'createdAt' ? null : query.sort.slice('metrics.'.length),
      p_desc: query.order === 'desc',
    };
    return this.listPage('xai_list_models', owner, query, filters, `${query.sort}:${query.order}`);
  }
}
