/**
 * An explanation's SHAP matrix (CSV or TSV: a column per feature, plus `base_value` and
 * `prediction` when present) is profiled in the upload pass exactly as a dataset file is, on
 * both upload paths: the profile's per-column mean |value| is the feature's importance, which
 * the database records as rows when the explanation becomes ready (xai_record_importances).
 */
import type { DatasetService } from '../datasets/dataset-service.ts';
import type { VerificationHooks } from '../direct-uploads/direct-kinds.ts';
import { extensionOf } from '../fields/file-types.ts';
import { FileProfiling } from '../profiles/profile-file.ts';
import type { VersionFileProfiling } from '../versions/version-service.ts';

const MATRIX_FORMATS = new Set(['csv', 'tsv', 'parquet', 'npy']);

export function matrixProfiling(datasets: DatasetService): VersionFileProfiling {
  return {
    start: (path) =>
      MATRIX_FORMATS.has(extensionOf(path)) ? new FileProfiling(path, datasets.profileSettings, { matrix: true }) : undefined,
    record: (owner, fileId, key, size, profiling) => datasets.recordProfile(owner, fileId, key, size, profiling),
  };
}

/** The same for an explanation's files sent by direct upload: profiled in the verification read-back. */
export function matrixVerification(datasets: DatasetService): VerificationHooks {
  const profiling = matrixProfiling(datasets);
  const pathOf = (target: Record<string, unknown>) => String(target.path ?? target.filename ?? '');
  return {
    profiling: (session) => profiling.start(pathOf(session.target)),
    recordProfile: (owner, session, size, fed) => profiling.record(owner, session.rowId, session.objectKey, size, fed),
  };
}
