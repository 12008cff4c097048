/**
 * What each kind of direct-upload target means to the engine, in one table (tus-style hooks):
 * its size limit, how it reserves the file before any byte moves, and what its verification
 * does besides counting and hashing (dataset files are profiled in the read-back, as the proxied
 * upload profiles them while streaming). The engine (DirectUploadService, UploadVerifier)
 * knows no kind by name; a new kind is one more entry.
 */
import type { Limits } from '../config.ts';
import type { DatasetService } from '../datasets/dataset-service.ts';
import { type Actor, type OwnerScope, ownScope } from '../domain.ts';
import type { ExplanationService } from '../explanations/explanation-service.ts';
import { matrixVerification } from '../explanations/matrix-profiling.ts';
import type { UploadSessionRecord } from '../metadata/upload-session-records.ts';
import type { ModelService } from '../models/model-service.ts';
import { FileProfiling } from '../profiles/profile-file.ts';
import type { DirectReservation } from './reservation.ts';
import type { UploadTarget } from './target.ts';

export interface DirectKind<T extends UploadTarget> {
  maxBytes: number;
  /** The checks and reservation of the proxied upload, no bytes yet. */
  reserve(actor: Actor, target: T, sessionId: string): Promise<DirectReservation>;
}

/** A verification's extra work for a stored session kind. */
export interface VerificationHooks {
  /** Fed with the read-back's chunks; its result recorded on the pending row before finalize. */
  profiling?(session: UploadSessionRecord): FileProfiling | undefined;
  recordProfile?(owner: OwnerScope, session: UploadSessionRecord, size: number, profiling: FileProfiling): Promise<void>;
}

export type DirectKinds = { [K in UploadTarget['type']]: DirectKind<Extract<UploadTarget, { type: K }>> };
export type VerificationKinds = Partial<Record<UploadSessionRecord['targetType'], VerificationHooks>>;

export interface KindServices {
  datasets: DatasetService;
  models: ModelService;
  explanations: ExplanationService;
  limits: Limits;
}

export function directKinds({ datasets, models, explanations, limits }: KindServices): DirectKinds {
  return {
    'dataset-file': { maxBytes: limits.datasetFileBytes, reserve: (a, target, id) => datasets.reserveDirect(a, target, id) },
    model: { maxBytes: limits.modelFileBytes, reserve: (a, target) => models.reserveDirect(a, target) },
    'model-file': { maxBytes: limits.modelFileBytes, reserve: (a, t) => models.reserveDirectFile(a, t.model, t.path) },
    explanation: { maxBytes: limits.explanationFileBytes, reserve: (a, target) => explanations.reserveDirect(a, target) },
    'explanation-file': {
      maxBytes: limits.explanationFileBytes,
      reserve: (a, t) => explanations.reserveDirectFile(a, t.explanation, t.path),
    },
  };
}

export function verificationKinds({ datasets }: Pick<KindServices, 'datasets'>): VerificationKinds {
  return {
    'dataset-file': {
      profiling: (session) => new FileProfiling(String(session.target.path), datasets.profileSettings),
      recordProfile: (owner, session, size, profiling) =>
        datasets.recordProfile(owner, session.rowId, session.objectKey, size, profiling),
    },
    explanation: matrixVerification(datasets),
  };
}

/** The session's owner owns its row (see xai_open_upload_session): their own scope, checked. */
export function sessionOwner(session: UploadSessionRecord): OwnerScope {
  return ownScope({ id: session.ownerId, role: 'user' });
}
