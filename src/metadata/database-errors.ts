import { AppError, isErrorCode } from '../errors.ts';

/** SQLSTATE our functions raise domain errors with; the message is the API error code. */
export const DOMAIN_ERROR_SQLSTATE = 'P0001';

/** SQLSTATE classes that mean "the database is not usable right now", worth a retry. */
const UNAVAILABLE_CLASSES = new Set(['08', '40', '53', '57', '58']);

/**
 * Maps what a database driver threw: domain errors raised by the SQL functions keep their
 * code; connection-level failures (no SQLSTATE, or an unavailable class, or a PostgREST
 * PGRST error) become metadata_unavailable; any other SQL error is a bug and stays as it is.
 */
export function fromDatabaseError(error: unknown, fields: { code?: string; message?: string; detail?: string }): Error {
  if (error instanceof AppError) return error;
  if (fields.code === DOMAIN_ERROR_SQLSTATE && isErrorCode(fields.message)) {
    return new AppError(fields.message, fields.detail ?? fields.message);
  }
  const code = fields.code ?? '';
  const isSqlState = /^[0-9A-Z]{5}$/.test(code);
  // Class 22, data exceptions: a value the request carried cannot be stored or compared (a NUL
  // character, an unpaired surrogate in JSON, a date that does not exist). The client's doing.
  if (isSqlState && code.startsWith('22')) {
    return new AppError('validation_failed', `A value in the request is not acceptable: ${fields.message ?? code}.`, {
      cause: error,
    });
  }
  if (!isSqlState || UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || code.startsWith('PGRST')) {
    return new AppError('metadata_unavailable', 'The metadata store is unavailable; try again shortly.', {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(fields.message ?? error));
}
