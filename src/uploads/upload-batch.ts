/**
 * One request's upload, shared by datasets, models and explanations: stream each file part
 * into storage while counting, hashing and limiting it, and verify it. Unless committed, the
 * batch undoes everything when it is disposed (`await using`): the objects it wrote are
 * deleted, then the reservations registered with `onUndo` are removed.
 */
import { pipeline } from 'node:stream';
import { AppError, isAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { UploadMeter } from './meter.ts';
import type { FilePart } from './parts.ts';

export interface StreamTarget {
  key: string;
  contentType: string;
  maxBytes: number;
  expectedSha256?: string | undefined;
  signal: AbortSignal;
  /** Sees every chunk as it streams (dataset profiling). */
  observe?: ((chunk: Buffer) => Promise<void> | undefined) | undefined;
}

export interface StreamedObject {
  key: string;
  size: number;
  sha256: string;
  etag: string;
}

export class UploadBatch implements AsyncDisposable {
  readonly #storage: ObjectStorage;
  readonly #log: Logger;
  readonly #written: string[] = [];
  readonly #undo: Array<() => Promise<unknown>> = [];
  #committed = false;

  constructor(storage: ObjectStorage, log: Logger) {
    this.#storage = storage;
    this.#log = log;
  }

  async stream(part: FilePart, target: StreamTarget): Promise<StreamedObject> {
    const meter = new UploadMeter(target.maxBytes, target.observe);
    let pipeError: unknown;
    // pipeline() destroys the source when the meter fails (and the reverse), so neither leaks.
    const remember = (error: unknown) => {
      // Storage giving up on the body (it stops iterating, or destroys it) shows up here as a
      // premature close or an abort: a consequence of the storage failure, not a cause.
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR') return;
      pipeError ??= error;
    };
    // Listening before storage reads the body means we learn why it broke before storage does.
    part.stream.once('error', remember);
    meter.once('error', remember);
    const body = pipeline(part.stream, meter, (error) => {
      if (error) remember(error);
    });
    let etag: string;
    try {
      // The part's chunks are the request's socket reads; the meter hashes them and passes them on.
      ({ etag } = await this.#storage.put(target.key, body, {
        contentType: target.contentType,
        signal: target.signal,
        releaseChunks: true,
      }));
    } catch (error) {
      throw preferredError(error, pipeError, target.signal);
    }
    this.#written.push(target.key);
    if (pipeError) throw preferredError(pipeError, pipeError, target.signal);
    if (part.truncated()) {
      throw new AppError('file_too_large', `The file is larger than the limit of ${target.maxBytes} bytes.`, {
        details: { maxBytes: target.maxBytes },
      });
    }
    if (meter.bytes === 0) throw new AppError('empty_file', `${part.filename} is empty.`);
    const sha256 = meter.sha256();
    if (target.expectedSha256 && target.expectedSha256 !== sha256) {
      throw new AppError('checksum_mismatch', `The SHA-256 of ${part.filename} does not match the one sent.`, {
        details: { expected: target.expectedSha256, actual: sha256 },
      });
    }
    return { key: target.key, size: meter.bytes, sha256, etag };
  }

  /** `undo` runs if the batch ends uncommitted (a reservation to remove, say). */
  onUndo(undo: () => Promise<unknown>): void {
    this.#undo.push(undo);
  }

  /** The upload is final: its objects and reservations stay. */
  commit(): void {
    this.#committed = true;
  }

  /** Failures are logged: the reconciler removes what is left. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#committed) return;
    await deleteObjects(this.#storage, this.#written.splice(0), this.#log);
    for (const undo of this.#undo.splice(0).reverse()) {
      await undo().catch((error: unknown) => this.#log.warn({ err: error }, 'pending rows left for the reconciler: undo failed'));
    }
  }
}

/** Deletes objects whose rows are already gone; a failure leaves an orphan for the reconciler. */
export async function deleteObjects(storage: ObjectStorage, keys: readonly string[], log: Logger): Promise<void> {
  const results = await Promise.allSettled(keys.map((key) => storage.delete(key)));
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      log.warn({ err: result.reason, key: keys[index] }, 'object left for the reconciler: delete failed');
    }
  });
}

/**
 * Which failure to report when several happened at once: the client going away or the server
 * shutting down first, then what broke the body (our size verdict, or a truncated request),
 * and storage's own failure only when the body was fine.
 */
function preferredError(storageError: unknown, pipeError: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason ?? storageError;
  if (pipeError === undefined) return storageError;
  if (isAppError(pipeError)) return pipeError;
  return new AppError('malformed_multipart', 'The request body ended before the file part was complete.', {
    cause: pipeError,
  });
}
