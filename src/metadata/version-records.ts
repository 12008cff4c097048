/**
 * What model versions and explanations share in the metadata store: one or more stored files
 * each (rows of `files`, see supabase/sql/15_version_files.sql), reserved while the version is
 * pending, made ready together with it, read one by one. One class for both kinds; each kind's
 * own call (its list, with its filters) lives in its records class, which extends this one.
 */
import type { DeletedKeys, OwnerScope, Page } from '../domain.ts';
import { withClientJson } from './client-json.ts';
import { keysetPage } from './keyset-page.ts';
import { ownerArgument } from './owner-argument.ts';
import type { RecordCheck } from './record-checks.ts';
import type { SqlArgument, SqlFunctionCaller } from './sql-caller.ts';

export type VersionKind = 'model' | 'explanation';

/** A file of a version once its bytes are stored. */
export interface StoredVersionFile {
  id: string;
  size: number;
  sha256: string;
  etag: string;
}

export interface ReservedFile {
  id: string;
  ownerId: string;
  path: string;
  objectKey: string;
  contentType: string;
}

/** One file of a ready version, as its download needs it. */
export interface VersionFile {
  id: string;
  path: string;
  size: number;
  sha256: string;
  contentType: string;
  objectKey: string;
  etag: string | null;
}

export abstract class VersionRecords<R extends { createdAt: string; id: string }, ListQuery> {
  protected readonly caller: SqlFunctionCaller;
  readonly #kind: VersionKind;
  readonly #jsonFields: readonly ('metrics' | 'params' | 'summary')[];
  readonly #check: RecordCheck;

  constructor(
    caller: SqlFunctionCaller,
    kind: VersionKind,
    jsonFields: readonly ('metrics' | 'params' | 'summary')[],
    check: RecordCheck,
  ) {
    this.caller = caller;
    this.#kind = kind;
    this.#jsonFields = jsonFields;
    this.#check = check;
  }

  /** A ready record of this kind as SQL answered it, its client JSON parsed (client-json.ts) and checked. */
  #ready(record: R): R {
    return this.#check(this.#kind, withClientJson(record, this.#jsonFields));
  }

  /** A call answering one ready record of this kind. */
  protected async record(fn: string, args: Record<string, SqlArgument>): Promise<R> {
    return this.#ready(await this.caller.call<R>(fn, args));
  }

  /** The same for a list of records. */
  protected async records(fn: string, args: Record<string, SqlArgument>): Promise<R[]> {
    return (await this.caller.call<R[]>(fn, args)).map((row) => this.#ready(row));
  }

  /** A page of `fn`'s records: the caller's, past the query's cursor, filtered (see keyset-page.ts). */
  protected listPage(
    fn: string,
    owner: OwnerScope,
    query: { limit: number; cursor?: string | undefined },
    filters: Record<string, SqlArgument>,
    sort?: string,
  ): Promise<Page<R>> {
    return keysetPage(query, (page) => this.records(fn, { p_owner: ownerArgument(owner), ...page, ...filters }), sort);
  }

  /** A call answering the pending record a reservation made (not yet whole: no files, no size). */
  protected async pending(fn: string, args: Record<string, SqlArgument>): Promise<R> {
    return withClientJson(await this.caller.call<R>(fn, args), this.#jsonFields);
  }

  abstract list(owner: OwnerScope, query: ListQuery): Promise<Page<R>>;

  /**
   * The pending version row, its fields named as the API names them (the kind's SQL reserve
   * function reads them); `expectedFiles` when its files arrive in sessions of their own.
   */
  reserve(owner: OwnerScope, id: string, fields: Record<string, unknown>, expectedFiles?: number): Promise<R> {
    return this.pending(`xai_reserve_${this.#kind}`, {
      p_owner: ownerArgument(owner),
      p_id: id,
      p_fields: fields,
      p_expected_files: expectedFiles ?? null,
    });
  }

  /**
   * Rows first (with `cascade`, what depends on the version too; aliases naming it are removed
   * by `by`, in their history); the caller deletes the keys' objects next.
   */
  delete(owner: OwnerScope, by: string, id: string, cascade: boolean): Promise<DeletedKeys> {
    const args = { p_owner: ownerArgument(owner), p_by: by, p_id: id, p_cascade: cascade };
    return this.caller.call(`xai_delete_${this.#kind}`, args);
  }

  /** The version this call is about, as the SQL functions name it (p_model_id or p_explanation_id). */
  #version(id: string | null): Record<string, string | null> {
    return { p_model_id: this.#kind === 'model' ? id : null, p_explanation_id: this.#kind === 'explanation' ? id : null };
  }

  reserveFile(
    owner: OwnerScope,
    versionId: string,
    file: { batchId: string; id: string; path: string; contentType: string },
  ): Promise<ReservedFile> {
    return this.caller.call('xai_reserve_version_file', {
      p_owner: ownerArgument(owner),
      ...this.#version(versionId),
      p_batch: file.batchId,
      p_id: file.id,
      p_path: file.path,
      p_content_type: file.contentType,
    });
  }

  /** Every file of the pending version, stored: the version becomes ready with them. */
  finalize(owner: OwnerScope, id: string, files: readonly StoredVersionFile[]): Promise<R> {
    return this.record('xai_finalize_version', { p_owner: ownerArgument(owner), ...this.#version(id), p_files: files });
  }

  /** Fields the form sent after a file, onto the row still pending. */
  async patchPending(owner: OwnerScope, id: string, patch: Record<string, unknown>): Promise<void> {
    await this.caller.call(`xai_patch_${this.#kind}`, {
      p_owner: ownerArgument(owner),
      p_id: id,
      p_patch: { ...patch },
      p_pending: true,
    });
  }

  abandon(owner: OwnerScope, id: string): Promise<DeletedKeys> {
    return this.caller.call('xai_abandon_version', { p_owner: ownerArgument(owner), ...this.#version(id) });
  }

  async get(owner: OwnerScope, id: string): Promise<R> {
    const args = { p_owner: ownerArgument(owner), ...this.#version(id) };
    return this.#ready(await this.caller.lookup<R>('xai_get_version', args));
  }

  getFile(owner: OwnerScope, id: string, fileId: string): Promise<VersionFile> {
    return this.caller.lookup('xai_get_version_file', { p_owner: ownerArgument(owner), ...this.#version(id), p_file_id: fileId });
  }

  update(owner: OwnerScope, id: string, patch: Record<string, unknown>): Promise<R> {
    return this.record(`xai_patch_${this.#kind}`, {
      p_owner: ownerArgument(owner),
      p_id: id,
      p_patch: { ...patch },
      p_pending: false,
    });
  }
}
