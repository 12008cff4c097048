/** Direct-upload sessions: typed calls of the upload-session SQL functions. */
import type { Dataset } from '../datasets/schema.ts';
import type { DeletedKeys, OwnerScope } from '../domain.ts';
import type { Explanation } from '../explanations/schema.ts';
import type { Model } from '../models/schema.ts';
import { EXPLANATION_JSON_FIELDS, MODEL_JSON_FIELDS, withClientJson } from './client-json.ts';
import { ownerArgument } from './owner-argument.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';

export type UploadSessionState = 'uploading' | 'verifying' | 'ready' | 'failed' | 'aborted';
export type UploadTargetType = 'dataset-file' | 'model' | 'explanation';

/** A session as stored; the HTTP answer shows part of it. */
export interface UploadSessionRecord {
  id: string;
  ownerId: string;
  state: UploadSessionState;
  targetType: UploadTargetType;
  target: Record<string, unknown>;
  /** The pending file row the upload fills. */
  rowId: string;
  /** The dataset, model version or explanation of that file. */
  artifactId: string;
  datasetId: string | null;
  objectKey: string;
  storageUploadId: string;
  size: number;
  sha256: string | null;
  contentType: string;
  partSize: number;
  partCount: number;
  /** The assembled object's ETag, once its parts are completed. */
  etag: string | null;
  /** When ready: what the proxied upload of the same file answers. */
  result: Dataset | Model | Explanation | null;
  problem: { code: string; detail: string; [key: string]: unknown } | null;
  attempts: number;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}

export type EndedUploadSession = UploadSessionRecord & DeletedKeys;

export type NewUploadSession = Pick<
  UploadSessionRecord,
  | 'id'
  | 'ownerId'
  | 'targetType'
  | 'target'
  | 'rowId'
  | 'artifactId'
  | 'datasetId'
  | 'objectKey'
  | 'storageUploadId'
  | 'size'
  | 'sha256'
  | 'contentType'
  | 'partSize'
  | 'partCount'
>;

/** A ready model or explanation session's result carries its client JSON as text (client-json.ts). */
function withResultJson<T extends UploadSessionRecord | null>(session: T): T {
  if (session?.result && session.targetType !== 'dataset-file') {
    withClientJson(session.result, session.targetType === 'model' ? MODEL_JSON_FIELDS : EXPLANATION_JSON_FIELDS);
  }
  return session;
}

export class UploadSessionRecords {
  readonly #caller: SqlFunctionCaller;

  constructor(caller: SqlFunctionCaller) {
    this.#caller = caller;
  }

  /** Refused with too_many_uploads when the owner already has `maxOpen` sessions taking parts. */
  open(session: NewUploadSession, ttlSeconds: number, maxOpen: number): Promise<UploadSessionRecord> {
    return this.#caller.call('xai_open_upload_session', {
      p_session: { ...session },
      p_ttl_seconds: ttlSeconds,
      p_max_open: maxOpen,
    });
  }

  async get(owner: OwnerScope, id: string): Promise<UploadSessionRecord> {
    return withResultJson(
      await this.#caller.lookup<UploadSessionRecord>('xai_get_upload_session', { p_owner: ownerArgument(owner), p_id: id }),
    );
  }

  /**
   * The right to assemble the parts now, held for `leaseSeconds` (renew, release, or begin
   * verification); `claimed: false` when another completion holds it or the session is past it.
   */
  async claimCompletion(
    owner: OwnerScope,
    id: string,
    leaseSeconds: number,
  ): Promise<{ claimed: boolean; session: UploadSessionRecord }> {
    const claim = await this.#caller.call<{ claimed: boolean; session: UploadSessionRecord }>('xai_claim_upload_completion', {
      p_owner: ownerArgument(owner),
      p_id: id,
      p_lease_seconds: leaseSeconds,
    });
    withResultJson(claim.session);
    return claim;
  }

  renewCompletion(id: string, leaseSeconds: number): Promise<void> {
    return this.#caller.call('xai_renew_upload_completion', { p_id: id, p_lease_seconds: leaseSeconds });
  }

  releaseCompletion(id: string): Promise<void> {
    return this.#caller.call('xai_release_upload_completion', { p_id: id });
  }

  beginVerification(owner: OwnerScope, id: string, etag: string): Promise<UploadSessionRecord> {
    return this.#caller.call('xai_begin_upload_verification', { p_owner: ownerArgument(owner), p_id: id, p_etag: etag });
  }

  /** One verification whose lease is free (`id`: that one only), or null. */
  claimVerification(id: string | null, leaseSeconds: number): Promise<UploadSessionRecord | null> {
    return this.#caller.call('xai_claim_upload_verification', { p_id: id, p_lease_seconds: leaseSeconds });
  }

  renewLease(id: string, leaseSeconds: number): Promise<void> {
    return this.#caller.call('xai_renew_upload_lease', { p_id: id, p_lease_seconds: leaseSeconds });
  }

  /** The session's file (or version) finalized as the proxied upload's would be; the session ready with its answer. */
  async finish(id: string, stored: { size: number; sha256: string; etag: string }): Promise<UploadSessionRecord> {
    const args = { p_id: id, p_size: stored.size, p_sha256: stored.sha256, p_etag: stored.etag };
    return withResultJson(await this.#caller.call<UploadSessionRecord>('xai_finish_upload_session', args));
  }

  /** The ended session, and the keys of the files its reservation took with it (a version's: all of them). */
  async end(id: string, state: 'failed' | 'aborted', problem: UploadSessionRecord['problem']): Promise<EndedUploadSession> {
    return withResultJson(
      await this.#caller.call<EndedUploadSession>('xai_end_upload_session', { p_id: id, p_state: state, p_problem: problem }),
    );
  }

  async abort(owner: OwnerScope, id: string): Promise<EndedUploadSession> {
    return withResultJson(
      await this.#caller.call<EndedUploadSession>('xai_abort_upload_session', { p_owner: ownerArgument(owner), p_id: id }),
    );
  }

  expired(now: Date, limit: number): Promise<UploadSessionRecord[]> {
    return this.#caller.call('xai_expired_upload_sessions', { p_now: now.toISOString(), p_limit: limit });
  }

  /** Of these storage upload ids, those a live session still owns. */
  liveUploadIds(ids: string[]): Promise<string[]> {
    return this.#caller.call('xai_live_upload_ids', { p_ids: ids });
  }
}
