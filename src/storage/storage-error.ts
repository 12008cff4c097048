import { AppError } from '../errors.ts';

/**
 * Every failure of the store becomes storage_unavailable for the client: the details
 * (which may name the endpoint or a path) go to the log through `cause`, never into the answer.
 */
export function asStorageError(error: unknown, action: string): AppError {
  if (error instanceof AppError) return error;
  return new AppError('storage_unavailable', `Object storage could not ${action}; try again shortly.`, {
    cause: error,
  });
}
