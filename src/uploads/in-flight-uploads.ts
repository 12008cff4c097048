/**
 * The uploads this process is receiving: capped in number, per principal and in total (a
 * client cannot hold every socket and part buffer), and aborted together when a shutdown's
 * grace period runs out.
 *
 * Admitted uploads also take turns: at most `readers` of them read their bodies at once (the
 * S3 store's part buffers, one each, as every upload needs one to progress). An upload waiting
 * for its turn has read nothing, so it holds no stream buffers either; before turns, 100 slow
 * uploads sharing 16 part buffers kept ~300 KiB each in the stages between socket and part
 * buffer (socket, request, parser, file stream, meter), 20-55 MiB in all, plus their heap.
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

export interface TrackedUpload {
  /** Aborts when the client goes away or the server aborts all uploads. */
  signal: AbortSignal;
  /** Resolves when this upload may read its body (at once when turns are unbounded). */
  turn(): Promise<void>;
  done(): void;
}

export class InFlightUploads {
  readonly limits: UploadLimits;
  readonly #controllers = new Set<AbortController>();
  readonly #perPrincipal = new Map<string, number>();
  /** Bodies read at once, asked each time (the budget can change); undefined: no bound. */
  readonly #readers: () => number | undefined;
  #reading = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limits: UploadLimits, readers: () => number | undefined = () => undefined) {
    this.limits = limits;
    this.#readers = readers;
  }

  get size(): number {
    return this.#controllers.size;
  }

  /** Uploads reading their bodies now, and waiting for their turn (for tests and benchmarks). */
  get turns(): { reading: number; waiting: number } {
    return { reading: this.#reading, waiting: this.#waiting.length };
  }

  /**
   * Admits an upload of `principalId`, or refuses it before any byte is read. The signal aborts
   * when the client goes away (`clientSignal`) or the server aborts all uploads.
   */
  track(principalId: string, clientSignal: AbortSignal): TrackedUpload {
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
    let turn: Promise<void> | undefined;
    let reading = false;
    let leaveQueue: (() => void) | undefined;
    return {
      signal: controller.signal,
      turn: () => {
        turn ??= this.#takeTurn(controller.signal, (queued) => {
          leaveQueue = queued;
        }).then(() => {
          reading = true;
          // Done before the turn came (an abort raced it): hand the turn on at once.
          if (finished) this.#endTurn();
        });
        return turn;
      },
      done: () => {
        if (finished) return;
        finished = true;
        if (reading) this.#endTurn();
        leaveQueue?.();
        clientSignal.removeEventListener('abort', onClient);
        this.#controllers.delete(controller);
        const left = (this.#perPrincipal.get(principalId) ?? 1) - 1;
        if (left > 0) this.#perPrincipal.set(principalId, left);
        else this.#perPrincipal.delete(principalId);
      },
    };
  }

  #takeTurn(signal: AbortSignal, onQueued: (leave: () => void) => void): Promise<void> {
    // Unbounded turns are still counted, so that ending one (done) keeps the count right.
    if (this.#hasRoom() && this.#waiting.length === 0) {
      this.#reading += 1;
      return Promise.resolve();
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        this.#reading += 1;
        resolve();
      };
      const onAbort = () => leave(signal.reason);
      const leave = (reason?: unknown) => {
        const index = this.#waiting.indexOf(wake);
        if (index < 0) return;
        this.#waiting.splice(index, 1);
        signal.removeEventListener('abort', onAbort);
        reject(reason ?? new Error('the upload ended before its turn'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(wake);
      onQueued(() => leave());
    });
  }

  #endTurn(): void {
    this.#reading -= 1;
    // The budget may have grown meanwhile: admit as many as it allows now.
    while (this.#waiting.length > 0 && this.#hasRoom()) this.#waiting.shift()?.();
  }

  #hasRoom(): boolean {
    return this.#reading < Math.max(1, this.#readers() ?? Number.POSITIVE_INFINITY);
  }

  abortAll(reason: Error): void {
    for (const controller of this.#controllers) controller.abort(reason);
  }
}
