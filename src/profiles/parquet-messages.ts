/**
 * What the Parquet reading thread (parquet-worker.ts) and its main side (parquet-reading.ts) say
 * to each other. A module of its own: the main side must not load the worker's module.
 */
import { isAppError } from '../errors.ts';
import type { ParquetJob, ParquetResult } from './parquet-jobs.ts';

export type ToParquetWorker =
  | { type: 'job'; id: number; job: ParquetJob; size: number }
  | { type: 'bytes'; id: number; read: number; bytes: ArrayBuffer }
  | { type: 'readFailed'; id: number; read: number; error: WorkerError };

export type FromParquetWorker =
  | { type: 'read'; id: number; read: number; start: number; end: number }
  | { type: 'done'; id: number; result: ParquetResult }
  | { type: 'failed'; id: number; error: WorkerError };

/** An error across the thread boundary: an AppError's code and details, or a plain message. */
export interface WorkerError {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

export function toWorkerError(error: unknown): WorkerError {
  if (isAppError(error))
    return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  return { message: error instanceof Error ? error.message : String(error) };
}
