/**
 * The uploads this process is receiving: capped in number, per principal and in total (a
 * client cannot hold every socket and part buffer), and aborted together when a shutdown's
 * grace period runs out.
 */
import { AppError } from '../errors.ts';

export interface UploadLimits {
  /** Uploads at once, all principals together; past it 503 server_busy. */
  maxConcurrent: number;
  /** Uploads at once for one principal; past it 429 too_many_uploads. */
  maxConcurrentPerPrincipal: number;
  /** An upload whose body brings fewer than STALL_MIN_BYTES in this long is aborted (0: never). */
  idleTimeoutMs: number;
}

/** Progress an upload must make in each idle-timeout window (a byte every minute is not progress). */
export const STALL_MIN_BYTES = 16 * 1024;
const RETRY_AFTER_SECONDS = 10;

export class InFlightUploads {
  readonly limits: UploadLimits;
  readonly #controllers = new Set<AbortController>();
  readonly #perPrincipal = new Map<string, number>();

  constructor(limits: UploadLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.#controllers.size;
  }

  /**
   * Admits an upload of `principalId`, or refuses it before any byte is read. The signal aborts
   * when the client goes away (`clientSignal`) or the server aborts all uploads.
   */
  track(principalId: string, clientSignal: AbortSignal): { signal: AbortSignal; done(): void } {
    const mine = this.#perPrincipal.get(principalId) ?? 0;
    if (mine >= this.limits.maxConcurrentPerPrincipal) {
      throw new AppError(
        'too_many_uploads',
        `At most ${this.limits.maxConcurrentPerPrincipal} uploads at once per caller; wait for one to finish.`,
        { details: { retryAfterSeconds: RETRY_AFTER_SECONDS } },
      );
    }
    if (this.#controllers.size >= this.limits.maxConcurrent) {
      throw new AppError('server_busy', 'The server is receiving as many uploads as it can; retry shortly.');
    }
    this.#perPrincipal.set(principalId, mine + 1);
    const controller = new AbortController();
    const onClient = () => controller.abort(clientSignal.reason);
    clientSignal.addEventListener('abort', onClient, { once: true });
    if (clientSignal.aborted) onClient();
    this.#controllers.add(controller);
    let finished = false;
    return {
      signal: controller.signal,
      done: () => {
        if (finished) return;
        finished = true;
        clientSignal.removeEventListener('abort', onClient);
        this.#controllers.delete(controller);
        const left = (this.#perPrincipal.get(principalId) ?? 1) - 1;
        if (left > 0) this.#perPrincipal.set(principalId, left);
        else this.#perPrincipal.delete(principalId);
      },
    };
  }

  abortAll(reason: Error): void {
    for (const controller of this.#controllers) controller.abort(reason);
  }
}
