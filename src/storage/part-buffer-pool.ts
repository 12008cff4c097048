/**
 * Part buffers shared by every upload of the process: at most `count` buffers of `partSize`
 * bytes ever exist, so upload memory is bounded by construction (count x partSize), whatever
 * the number of uploads. An upload that needs a buffer while all are in use waits for one;
 * meanwhile it reads nothing from its client, whose socket is then paused by back-pressure.
 * Buffers are reused, not reallocated, so the garbage collector does not set the peak either.
 */
export class PartBufferPool {
  readonly partSize: number;
  readonly count: number;
  readonly #free: Buffer[] = [];
  readonly #waiting: Array<{ resolve(buffer: Buffer): void }> = [];
  #allocated = 0;
  #inUse = 0;
  #peakInUse = 0;

  constructor(partSize: number, count: number) {
    this.partSize = partSize;
    this.count = Math.max(1, count);
  }

  /** Buffers handed out now, and the most ever handed out at once (for tests and benchmarks). */
  get stats(): { inUse: number; peakInUse: number; allocated: number; waiting: number } {
    return { inUse: this.#inUse, peakInUse: this.#peakInUse, allocated: this.#allocated, waiting: this.#waiting.length };
  }

  async acquire(signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    const ready = this.#free.pop() ?? (this.#allocated < this.count ? this.#allocate() : undefined);
    if (ready) return this.#handOut(ready);
    return new Promise<Buffer>((resolve, reject) => {
      const waiter = {
        resolve: (buffer: Buffer) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#handOut(buffer));
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  release(buffer: Buffer): void {
    this.#inUse -= 1;
    const next = this.#waiting.shift();
    if (next) next.resolve(buffer);
    else this.#free.push(buffer);
  }

  #allocate(): Buffer {
    this.#allocated += 1;
    // allocUnsafe: every byte sent is first written; a reused buffer is sent only up to its fill.
    return Buffer.allocUnsafeSlow(this.partSize);
  }

  #handOut(buffer: Buffer): Buffer {
    this.#inUse += 1;
    this.#peakInUse = Math.max(this.#peakInUse, this.#inUse);
    return buffer;
  }
}
