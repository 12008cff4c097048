/**
 * Domain errors. The core speaks in stable error codes grouped into kinds; the HTTP layer
 * maps each kind to one status code in one place (routes/plugins/problem-details.ts).
 */

export type ErrorKind =
  | 'invalid' // the request is malformed
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unprocessable' // well-formed, but its content is refused
  | 'timeout' // the client stopped sending
  | 'rate_limited'
  | 'unavailable'; // a dependency is down; retry later

/** Every stable error code the API can answer with, and its kind. */
export const errorCatalog = {
  validation_failed: 'invalid',
  invalid_path: 'invalid',
  invalid_name: 'invalid',
  ambiguous_name: 'invalid',
  invalid_cursor: 'invalid',
  invalid_json_field: 'invalid',
  invalid_digest: 'invalid',
  invalid_alias: 'invalid',
  invalid_version: 'invalid',
  field_after_file: 'invalid',
  missing_field: 'invalid',
  missing_file: 'invalid',
  too_many_files: 'invalid',
  unexpected_part: 'invalid',
  malformed_multipart: 'invalid',
  malformed_request: 'invalid',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  not_found: 'not_found',
  route_not_found: 'not_found',
  dataset_not_found: 'not_found',
  file_not_found: 'not_found',
  model_not_found: 'not_found',
  explanation_not_found: 'not_found',
  upload_not_found: 'not_found',
  dataset_version_not_found: 'not_found',
  alias_not_found: 'not_found',
  row_not_found: 'not_found',
  download_link_invalid: 'forbidden',
  part_link_invalid: 'forbidden',
  host_not_allowed: 'forbidden',
  cross_site_request: 'forbidden',
  dataset_exists: 'conflict',
  file_exists: 'conflict',
  upload_in_progress: 'conflict',
  upload_cancelled: 'conflict',
  dataset_in_use: 'conflict',
  model_in_use: 'conflict',
  version_in_use: 'conflict',
  upload_incomplete: 'conflict',
  upload_not_open: 'conflict',
  upload_verifying: 'conflict',
  upload_expired: 'conflict',
  multiple_files: 'conflict',
  file_too_large: 'too_large',
  field_too_large: 'too_large',
  too_many_parts: 'too_large',
  body_too_large: 'too_large',
  headers_too_large: 'too_large',
  unsupported_media_type: 'unsupported_media_type',
  checksum_mismatch: 'unprocessable',
  empty_file: 'unprocessable',
  model_not_ready: 'unprocessable',
  preview_unavailable: 'unprocessable',
  preview_too_large: 'unprocessable',
  rows_unavailable: 'unprocessable',
  rows_too_large: 'unprocessable',
  invalid_file: 'unprocessable',
  rate_limited: 'rate_limited',
  too_many_uploads: 'rate_limited',
  upload_stalled: 'timeout',
  server_busy: 'unavailable',
  storage_unavailable: 'unavailable',
  metadata_unavailable: 'unavailable',
  auth_unavailable: 'unavailable',
  shutting_down: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** Extra machine-readable facts for the client (never secrets). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.kind = errorCatalog[code];
    this.details = options?.details;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
