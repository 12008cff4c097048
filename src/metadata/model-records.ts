/** Model records: typed calls of the model SQL functions (the shared ones in VersionRecords). */
import type { DeletedKeys, OwnerScope, Page } from '../domain.ts';
import type { Model } from '../models/schema.ts';
import { decodeCursor, pageOf } from '../pagination.ts';
import { MODEL_JSON_FIELDS } from './client-json.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';
import { VersionRecords } from './version-records.ts';

export interface ReserveModel {
  owner: OwnerScope;
  id: string;
  datasetId: string;
  name: string;
  framework: string;
  format: string;
  safeToLoad: boolean;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  description: string | null;
  tags: string[];
  /** Direct uploads: how many files the version will hold (it is ready when they all are). */
  expectedFiles?: number | undefined;
}

export interface ListModels {
  limit: number;
  cursor?: string | undefined;
  dataset?: string | undefined;
  name?: string | undefined;
  framework?: string | undefined;
  tag?: string | undefined;
  /** A metric name to sort by; undefined sorts by creation time. */
  metric?: string | undefined;
  order: 'asc' | 'desc';
}

export class ModelRecords extends VersionRecords<Model> {
  constructor(caller: SqlFunctionCaller, check: RecordCheck) {
    super(caller, 'model', MODEL_JSON_FIELDS, check);
  }

  reserve(input: ReserveModel): Promise<Model> {
    return this.pending('xai_reserve_model', {
      p_owner: ownerArgument(input.owner),
      p_id: input.id,
      p_dataset_id: input.datasetId,
      p_name: input.name,
      p_framework: input.framework,
      p_format: input.format,
      p_safe_to_load: input.safeToLoad,
      p_metrics: input.metrics,
      p_params: input.params,
      p_description: input.description,
      p_tags: input.tags,
      p_expected_files: input.expectedFiles ?? null,
    });
  }

  latest(owner: OwnerScope, datasetRef: string, name: string): Promise<Model> {
    return this.record('xai_latest_model', { p_owner: ownerArgument(owner), p_dataset_ref: datasetRef, p_name: name });
  }

  async list(owner: OwnerScope, query: ListModels): Promise<Page<Model>> {
    const sort = `${query.metric ? `metrics.${query.metric}` : 'createdAt'}:${query.order}`;
    const after = query.cursor ? decodeCursor(query.cursor, sort) : undefined;
    const rows = await this.records('xai_list_models', {
      p_owner: ownerArgument(owner),
      p_limit: query.limit + 1,
      p_dataset_ref: query.dataset ?? null,
      p_name: query.name ?? null,
      p_framework: query.framework ?? null,
      p_tag: query.tag ?? null,
      p_metric: query.metric ?? null,
      p_desc: query.order === 'desc',
      p_after_value: after?.value ?? null,
      p_after_created: after?.createdAt ?? null,
      p_after_id: after?.id ?? null,
    });
    const page = pageOf(rows, query.limit, (row) => ({ sort, value: row.sortValue ?? null }));
    return { items: page.items.map(({ sortValue: _sortValue, ...model }) => model), nextCursor: page.nextCursor };
  }

  delete(owner: OwnerScope, id: string, cascade: boolean): Promise<DeletedKeys> {
    return this.caller.call('xai_delete_model', { p_owner: ownerArgument(owner), p_id: id, p_cascade: cascade });
  }
}
