/** Dataset and dataset-file records: typed calls of the dataset SQL functions. */

import type { Dataset, DatasetFile, DatasetPatch, DatasetVersion } from '../datasets/schema.ts';
import type { DeletedKeys, OwnerScope, OwnScope, Page } from '../domain.ts';
import type { DatasetVersionLineage } from '../lineage/schema.ts';
import type { ProfileRecord, ProfileSummary } from '../profiles/profile.ts';
import type { RowIndex } from '../profiles/row-index.ts';
import { EXPLANATION_JSON_FIELDS, MODEL_JSON_FIELDS, withClientJson } from './client-json.ts';
import { keysetPage, numberedPage } from './keyset-page.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';

export interface ReserveDataset {
  /** The new dataset's owner: one owner, never every owner. */
  owner: OwnScope;
  id: string;
  name: string;
  description: string | null;
  tags: string[];
  status: string | null;
  batchId: string;
}

export interface ReserveDatasetFile {
  owner: OwnerScope;
  datasetId: string;
  batchId: string;
  id: string;
  path: string;
  contentType: string;
  overwrite: boolean;
}

export interface FinishedFile {
  id: string;
  size: number;
  sha256: string;
  etag: string;
}

export interface ListDatasets {
  limit: number;
  cursor?: string | undefined;
  tag?: string | undefined;
  q?: string | undefined;
}

export class DatasetRecords {
  readonly #caller: SqlFunctionCaller;

  readonly #check: RecordCheck;

  constructor(caller: SqlFunctionCaller, check: RecordCheck) {
    this.#caller = caller;
    this.#check = check;
  }

  reserve(input: ReserveDataset): Promise<Dataset> {
    return this.#caller.call('xai_reserve_dataset', {
      p_owner: ownerArgument(input.owner),
      p_id: input.id,
      p_name: input.name,
      p_description: input.description,
      p_tags: input.tags,
      p_status: input.status,
      p_batch: input.batchId,
    });
  }

  reserveFile(input: ReserveDatasetFile): Promise<DatasetFile> {
    return this.#caller.call('xai_reserve_dataset_file', {
      p_owner: ownerArgument(input.owner),
      p_dataset_id: input.datasetId,
      p_batch: input.batchId,
      p_id: input.id,
      p_path: input.path,
      p_content_type: input.contentType,
      p_overwrite: input.overwrite,
    });
  }

  /** Makes the batch's files ready atomically, as the dataset's next version (when it has files). */
  async finalizeBatch(input: {
    owner: OwnerScope;
    by: string;
    datasetId: string;
    batchId: string;
    files: FinishedFile[];
  }): Promise<Dataset> {
    const args = {
      p_owner: ownerArgument(input.owner),
      p_by: input.by,
      p_dataset_id: input.datasetId,
      p_batch: input.batchId,
      p_files: input.files.map((file) => ({ ...file })),
    };
    return this.#check('dataset', await this.#caller.call<Dataset>('xai_finalize_dataset_batch', args));
  }

  /** Descriptive fields sent after the files, applied to the dataset the batch reserved (still pending). */
  async patchPending(
    owner: OwnerScope,
    datasetId: string,
    batchId: string,
    patch: Partial<Pick<ReserveDataset, 'description' | 'tags' | 'status'>>,
  ): Promise<void> {
    await this.#caller.call('xai_patch_pending_dataset', {
      p_owner: ownerArgument(owner),
      p_id: datasetId,
      p_batch: batchId,
      p_patch: { ...patch },
    });
  }

  abandonBatch(input: { owner: OwnerScope; datasetId: string; batchId: string }): Promise<DeletedKeys> {
    return this.#caller.call('xai_abandon_dataset_batch', {
      p_owner: ownerArgument(input.owner),
      p_dataset_id: input.datasetId,
      p_batch: input.batchId,
    });
  }

  async get(owner: OwnerScope, ref: string): Promise<Dataset> {
    return this.#check(
      'dataset',
      await this.#caller.lookup<Dataset>('xai_get_dataset', { p_owner: ownerArgument(owner), p_ref: ref }),
    );
  }

  list(owner: OwnerScope, query: ListDatasets): Promise<Page<Dataset>> {
    return keysetPage(query, async (page) => {
      const args = { p_owner: ownerArgument(owner), ...page, p_tag: query.tag ?? null, p_q: query.q ?? null };
      return (await this.#caller.call<Dataset[]>('xai_list_datasets', args)).map((row) => this.#check('dataset', row));
    });
  }

  async update(owner: OwnerScope, ref: string, patch: DatasetPatch): Promise<Dataset> {
    const args = { p_owner: ownerArgument(owner), p_ref: ref, p_patch: { ...patch } };
    return this.#check('dataset', await this.#caller.call<Dataset>('xai_update_dataset', args));
  }

  delete(owner: OwnerScope, ref: string, cascade: boolean): Promise<DeletedKeys> {
    return this.#caller.call('xai_delete_dataset', { p_owner: ownerArgument(owner), p_ref: ref, p_cascade: cascade });
  }

  async getFile(owner: OwnerScope, ref: string, fileId: string): Promise<DatasetFile> {
    const args = { p_owner: ownerArgument(owner), p_ref: ref, p_file_id: fileId };
    return this.#check('dataset file', await this.#caller.lookup<DatasetFile>('xai_get_dataset_file', args));
  }

  /** On the pending row, before the finalize that makes the file (and its profile) visible. */
  setProfile(
    owner: OwnerScope,
    fileId: string,
    profile: ProfileRecord,
    summary: ProfileSummary,
    rowIndex: RowIndex | undefined,
  ): Promise<void> {
    return this.#caller.call('xai_set_dataset_file_profile', {
      p_owner: ownerArgument(owner),
      p_file_id: fileId,
      p_profile: { ...profile },
      p_summary: { ...summary },
      p_row_index: rowIndex ? { ...rowIndex } : null,
    });
  }

  getProfile(owner: OwnerScope, ref: string, fileId: string): Promise<ProfileRecord> {
    return this.#caller.lookup('xai_get_dataset_file_profile', { p_owner: ownerArgument(owner), p_ref: ref, p_file_id: fileId });
  }

  /** The file leaves the latest version (a new version without it); its bytes stay for the older ones. */
  async deleteFile(owner: OwnerScope, by: string, ref: string, fileId: string): Promise<void> {
    await this.#caller.call('xai_delete_dataset_file', {
      p_owner: ownerArgument(owner),
      p_by: by,
      p_ref: ref,
      p_file_id: fileId,
    });
  }

  listVersions(
    owner: OwnerScope,
    ref: string,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<DatasetVersion>> {
    return numberedPage(query, 'version', async (page) => {
      const args = { p_owner: ownerArgument(owner), p_ref: ref, p_limit: page.limit, p_after_version: page.after };
      return (await this.#caller.call<DatasetVersion[]>('xai_list_dataset_versions', args)).map((row) =>
        this.#check('dataset version', row),
      );
    });
  }

  /** A version with its files, by number, `latest` or alias. */
  async getVersion(owner: OwnerScope, ref: string, version: string): Promise<DatasetVersion> {
    const args = { p_owner: ownerArgument(owner), p_ref: ref, p_version: version };
    return this.#check('dataset version', await this.#caller.lookup<DatasetVersion>('xai_get_dataset_version', args));
  }

  /** Prunes an old version nothing pins or names; the keys of the files no remaining version holds. */
  deleteVersion(owner: OwnerScope, ref: string, version: number): Promise<DeletedKeys> {
    return this.#caller.call('xai_delete_dataset_version', { p_owner: ownerArgument(owner), p_ref: ref, p_version: version });
  }

  async lineage(owner: OwnerScope, ref: string, version: string): Promise<DatasetVersionLineage> {
    const args = { p_owner: ownerArgument(owner), p_ref: ref, p_version: version };
    const lineage = await this.#caller.call<DatasetVersionLineage>('xai_dataset_version_lineage', args);
    return {
      dataset: lineage.dataset,
      models: lineage.models.map((row) => withClientJson(row, MODEL_JSON_FIELDS)),
      explanations: lineage.explanations.map((row) => withClientJson(row, EXPLANATION_JSON_FIELDS)),
    };
  }
}
