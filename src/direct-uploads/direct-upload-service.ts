/**
 * Direct uploads: the client sends a file straight to the object store in presigned parts, so
 * multi-GB files never pass through the API (nor its 15-minute request limit on Railway).
 * The API decides everything before a byte moves (names, type, size limit, ownership, the row
 * reservation that settles races), signs part URLs, checks the parts' coverage at complete,
 * and a verifier reads the object back once to vouch for its size and SHA-256 before the same
 * finalize as a proxied upload.
 */
import { randomUUID } from 'node:crypto';
import type { DirectUploadSettings, Limits } from '../config.ts';
import type { Actor } from '../domain.ts';
import { AppError } from '../errors.ts';
import { parseHexSha256 } from '../fields/digests.ts';
import type { Logger } from '../logger.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { UploadSessionRecord } from '../metadata/upload-session-records.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { deleteObjects } from '../uploads/upload-batch.ts';
import type { DirectKind, DirectKinds } from './direct-kinds.ts';
import { keepLeased } from './lease-heartbeat.ts';
import { checkCoverage, expectedPartSize, type PartPlan, planParts } from './part-plan.ts';
import type { DirectReservation } from './reservation.ts';
import type { UploadTarget } from './target.ts';
import type { UploadVerifier } from './verifier.ts';

export interface OpenUpload {
  target: UploadTarget;
  size: number;
  sha256?: string | undefined;
  /** Accepted for clients that send it; the stored type follows the extension, as for proxied uploads. */
  contentType?: string | undefined;
  /** The client's part size (e.g. Uppy's chunk size); the server's default otherwise. */
  partSize?: number | undefined;
}

export interface PartRequest {
  partNumbers: number[];
  /** Base64 SHA-256 per part number: signed into that part's URL. */
  sha256?: Record<string, string> | undefined;
  expiresInSeconds?: number | undefined;
}

export interface SignedPartView {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

export interface UploadSessionView {
  id: string;
  state: UploadSessionRecord['state'];
  target: Record<string, unknown>;
  /** The dataset, model version or explanation the file goes into (a version's later files name it). */
  artifactId: string;
  size: number;
  sha256: string | null;
  contentType: string;
  partSize: number;
  partCount: number;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  /** Parts the object store holds, asked of it (never of the client). */
  uploadedParts: UploadedPart[];
  parts?: SignedPartView[];
  result?: NonNullable<UploadSessionRecord['result']>;
  problem?: UploadSessionRecord['problem'];
}

export interface UploadedPart {
  partNumber: number;
  size: number;
  /** The store's ETag of the part ('' once the parts are assembled). */
  etag: string;
}

export interface DirectUploadDeps {
  metadata: MetadataStore;
  storage: ObjectStorage;
  log: Logger;
  limits: Limits;
  settings: DirectUploadSettings;
  /** Each target type's limit and reservation. */
  kinds: DirectKinds;
  verifier: UploadVerifier;
}

/** Part URLs handed out with a new session; the client asks for the rest. */
export const FIRST_PARTS = 16;
/** Part URLs per request for more. */
export const MAX_PARTS_PER_REQUEST = 100;
export const DEFAULT_PART_URL_TTL_SECONDS = 900;
export const MAX_PART_URL_TTL_SECONDS = 3600;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

export class DirectUploadService {
  readonly #deps: DirectUploadDeps;
  /** Completions assembling in this process, by session id: a concurrent complete joins one. */
  readonly #assembling = new Map<string, Promise<UploadSessionView>>();

  constructor(deps: DirectUploadDeps) {
    this.#deps = deps;
  }

  /** POST /uploads: every check of the proxied upload, the reservation, the multipart upload, the first part URLs. */
  async open(actor: Actor, request: OpenUpload): Promise<UploadSessionView> {
    const { storage, metadata, settings } = this.#deps;
    const { maxBytes } = this.#deps.kinds[request.target.type];
    if (!Number.isSafeInteger(request.size) || request.size < 1) {
      throw new AppError('empty_file', 'size must be the exact number of bytes of a non-empty file.');
    }
    if (request.size > maxBytes) {
      throw new AppError('file_too_large', `The file is larger than the limit of ${maxBytes} bytes.`, { details: { maxBytes } });
    }
    const sha256 = request.sha256 === undefined || request.sha256 === '' ? null : parseHexSha256(request.sha256);
    const plan = planParts(request.size, request.partSize ?? settings.partSizeBytes);
    const id = randomUUID();
    const reservation = await this.#reserve(actor, request.target, id);
    let uploadId: string | undefined;
    let session: UploadSessionRecord;
    try {
      ({ uploadId } = await storage.startMultipart(reservation.objectKey, reservation.contentType));
      session = await metadata.uploadSessions.open(
        {
          id,
          ownerId: reservation.ownerId,
          targetType: storedTargetType(request.target.type),
          target: { ...request.target },
          rowId: reservation.rowId,
          artifactId: reservation.artifactId,
          datasetId: reservation.datasetId,
          objectKey: reservation.objectKey,
          storageUploadId: uploadId,
          size: request.size,
          sha256,
          contentType: reservation.contentType,
          partSize: plan.partSize,
          partCount: plan.partCount,
        },
        settings.sessionTtlSeconds,
        settings.maxOpenPerCaller,
      );
    } catch (error) {
      if (uploadId) {
        await storage
          .abortIncompleteUpload({ key: reservation.objectKey, uploadId, initiated: new Date() })
          .catch(() => undefined); // the reconciler aborts it
      }
      await reservation.abandon().catch((abandonError: unknown) => {
        this.#deps.log.warn({ err: abandonError }, 'pending row left for the reconciler: abandon failed');
      });
      throw error;
    }
    const first = Array.from({ length: Math.min(plan.partCount, FIRST_PARTS) }, (_, index) => index + 1);
    const parts = await this.#sign(session, { partNumbers: first });
    return { ...view(session, []), parts };
  }

  /** POST /uploads/{id}/parts: fresh URLs, signed now, for the parts the client asks for. */
  async signParts(actor: Actor, id: string, request: PartRequest): Promise<SignedPartView[]> {
    const session = await this.#deps.metadata.uploadSessions.get(actor.scope, id);
    assertTakingParts(session);
    return this.#sign(session, request);
  }

  /**
   * Fills every part of a session from an object of the same store account, server-side (the
   * import from the API's own bucket): no byte passes through this process. Completing it then
   * reads the object back once, as for any direct upload.
   */
  async copyParts(actor: Actor, id: string, source: { bucket: string; key: string }): Promise<void> {
    const { storage } = this.#deps;
    if (!storage.copyPart) throw new Error('This store cannot copy server-side.');
    const session = await this.#deps.metadata.uploadSessions.get(actor.scope, id);
    assertTakingParts(session);
    const plan = planOf(session);
    for (let partNumber = 1; partNumber <= session.partCount; partNumber += 1) {
      const start = (partNumber - 1) * plan.partSize;
      const end = start + expectedPartSize(session.size, plan, partNumber);
      await storage.copyPart(session.objectKey, session.storageUploadId, partNumber, { ...source, start, end });
    }
  }

  /** GET /uploads/{id}: the session, with the parts the store holds while it takes parts. */
  async get(actor: Actor, id: string): Promise<UploadSessionView> {
    const session = await this.#deps.metadata.uploadSessions.get(actor.scope, id);
    return view(session, await this.#uploadedParts(session));
  }

  /**
   * POST /uploads/{id}/complete: the parts must cover exactly the declared size at the agreed
   * part size (409 upload_incomplete says what is missing; the session stays open). Then the
   * store assembles them and the verifier takes over (202).
   *
   * Idempotent under concurrency: one completion holds the session's lease while it assembles;
   * a concurrent complete (a client retrying after a timeout) waits for it and answers the same
   * session, and a DELETE meanwhile is refused (409 upload_verifying). A completion that gives the
   * lease back (parts missing) leaves the waiting ones to claim it in turn: each gets its own answer.
   */
  async complete(actor: Actor, id: string): Promise<UploadSessionView> {
    const { metadata, settings } = this.#deps;
    const deadline = Date.now() + settings.verifyLeaseSeconds * 1000;
    for (;;) {
      const claim = await metadata.uploadSessions.claimCompletion(actor.scope, id, settings.verifyLeaseSeconds);
      if (claim.claimed) {
        const assembly = this.#assemble(actor, claim.session);
        this.#assembling.set(id, assembly);
        try {
          return await assembly;
        } finally {
          this.#assembling.delete(id);
        }
      }
      if (claim.session.state !== 'uploading') return view(claim.session, planned(claim.session));
      // Another completion holds the lease. In this process: its outcome is this one's too (the
      // same session, or the same refusal). In another: claim again until it has moved on.
      const local = this.#assembling.get(id);
      if (local) return local;
      if (Date.now() >= deadline) return view(claim.session, await this.#uploadedParts(claim.session));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Holds the completion lease: the coverage check, the store's assembly, then verification. */
  async #assemble(actor: Actor, claimed: UploadSessionRecord): Promise<UploadSessionView> {
    const { metadata, verifier, settings, log } = this.#deps;
    const release = keepLeased(
      () => metadata.uploadSessions.renewCompletion(claimed.id, settings.verifyLeaseSeconds),
      settings.verifyLeaseSeconds,
      log,
      { upload: claimed.id, lease: 'completion' },
    );
    try {
      assertTakingParts(claimed);
      const etag = await this.#assembleParts(claimed);
      const session = await metadata.uploadSessions.beginVerification(actor.scope, claimed.id, etag);
      verifier.kick(claimed.id);
      return view(session, planned(session));
    } catch (error) {
      // Not assembled (parts missing, storage down): the session takes parts and completions again.
      await metadata.uploadSessions.releaseCompletion(claimed.id).catch((releaseError: unknown) => {
        log.warn({ err: releaseError, upload: claimed.id }, 'completion lease left to lapse: release failed');
      });
      throw error;
    } finally {
      release();
    }
  }

  /** Checks the parts' coverage and has the store assemble them; the assembled object's ETag. */
  async #assembleParts(session: UploadSessionRecord): Promise<string> {
    const { storage } = this.#deps;
    const parts = await storage.listParts(session.objectKey, session.storageUploadId);
    if (parts === undefined) {
      // Completed before, by a request that did not live to record it: the object is there.
      const object = await storage.head(session.objectKey);
      if (!object) throw new AppError('upload_not_open', 'The object store no longer has this upload; open a new one.');
      return '';
    }
    const coverage = checkCoverage(session.size, planOf(session), parts);
    if (coverage) {
      const missing = coverage.missingParts.length;
      throw new AppError(
        'upload_incomplete',
        `The parts do not make up the file yet: ${missing} missing, ${coverage.wrongSizeParts.length} of the wrong size. ` +
          'Upload those parts (ask for fresh URLs at /uploads/{id}/parts) and complete again.',
        { details: { ...coverage } },
      );
    }
    const inPlan = parts.filter((part) => part.partNumber <= session.partCount);
    return (await storage.completeMultipart(session.objectKey, session.storageUploadId, inPlan)).etag;
  }

  /**
   * DELETE /uploads/{id}: the reservation goes and the store's parts with it (and the object, in
   * case a completion that lost its lease had assembled it: its key is this session's alone).
   */
  async abort(actor: Actor, id: string): Promise<void> {
    const session = await this.#deps.metadata.uploadSessions.abort(actor.scope, id);
    const { storage, log } = this.#deps;
    await storage
      .abortIncompleteUpload({ key: session.objectKey, uploadId: session.storageUploadId, initiated: new Date() })
      .catch((error: unknown) => {
        log.warn({ err: error, upload: id }, 'multipart upload left for the reconciler: abort failed');
      });
    await deleteObjects(storage, [...new Set([session.objectKey, ...session.deletedKeys])], log);
  }

  #reserve(actor: Actor, target: UploadTarget, sessionId: string): Promise<DirectReservation> {
    const kind = this.#deps.kinds[target.type] as DirectKind<UploadTarget>;
    return kind.reserve(actor, target, sessionId);
  }

  async #sign(session: UploadSessionRecord, request: PartRequest): Promise<SignedPartView[]> {
    const plan = planOf(session);
    const numbers = [...new Set(request.partNumbers)];
    if (numbers.length === 0 || numbers.length > MAX_PARTS_PER_REQUEST) {
      throw new AppError('validation_failed', `Ask for 1 to ${MAX_PARTS_PER_REQUEST} parts at a time.`);
    }
    const outside = numbers.find((n) => !Number.isInteger(n) || n < 1 || n > plan.partCount);
    if (outside !== undefined) {
      throw new AppError('validation_failed', `Part ${outside} is not in this upload: its parts are 1 to ${plan.partCount}.`);
    }
    const checksums = request.sha256 ?? {};
    for (const [key, value] of Object.entries(checksums)) {
      if (!numbers.includes(Number(key))) {
        throw new AppError('validation_failed', `sha256 names part ${key}, which partNumbers does not ask for.`);
      }
      if (!BASE64_SHA256.test(value)) {
        throw new AppError('invalid_digest', `sha256 of part ${key} must be the base64 of 32 bytes (44 characters).`);
      }
    }
    const expiresInSeconds = request.expiresInSeconds ?? DEFAULT_PART_URL_TTL_SECONDS;
    return Promise.all(
      numbers.map(async (partNumber) => {
        const signed = await this.#deps.storage.signPartUpload(session.objectKey, session.storageUploadId, partNumber, {
          expiresInSeconds,
          maxBytes: expectedPartSize(session.size, plan, partNumber),
          sha256Base64: checksums[String(partNumber)],
          owner: session.ownerId,
        });
        return { partNumber, url: signed.url, headers: signed.headers, expiresAt: signed.expiresAt.toISOString() };
      }),
    );
  }

  async #uploadedParts(session: UploadSessionRecord): Promise<UploadedPart[]> {
    if (session.state !== 'uploading') return planned(session);
    return (await this.#deps.storage.listParts(session.objectKey, session.storageUploadId)) ?? [];
  }
}

function planOf(session: UploadSessionRecord): PartPlan {
  return { partSize: session.partSize, partCount: session.partCount };
}

/** Once assembled, the parts are the plan (the store no longer lists them); none for an ended session. */
function planned(session: UploadSessionRecord): UploadedPart[] {
  if (session.state !== 'verifying' && session.state !== 'ready') return [];
  return Array.from({ length: session.partCount }, (_, index) => ({
    partNumber: index + 1,
    size: expectedPartSize(session.size, planOf(session), index + 1),
    etag: '',
  }));
}

function assertTakingParts(session: UploadSessionRecord): void {
  if (session.state !== 'uploading') {
    throw new AppError('upload_not_open', `Upload ${session.id} is ${session.state}; it takes no more parts.`);
  }
  if (Date.parse(session.expiresAt) < Date.now()) {
    throw new AppError('upload_expired', `Upload ${session.id} expired at ${session.expiresAt}; open a new one.`);
  }
}

/** Sessions of a version's later files are stored as sessions of its kind: they finalize alike. */
function storedTargetType(type: UploadTarget['type']): UploadSessionRecord['targetType'] {
  if (type === 'model-file') return 'model';
  if (type === 'explanation-file') return 'explanation';
  return type;
}

function view(session: UploadSessionRecord, uploadedParts: UploadedPart[]): UploadSessionView {
  return {
    id: session.id,
    state: session.state,
    target: session.target,
    artifactId: session.artifactId,
    size: session.size,
    sha256: session.sha256,
    contentType: session.contentType,
    partSize: session.partSize,
    partCount: session.partCount,
    expiresAt: session.expiresAt,
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
    uploadedParts,
    ...(session.state === 'ready' && session.result ? { result: session.result } : {}),
    ...(session.problem ? { problem: session.problem } : {}),
  };
}
