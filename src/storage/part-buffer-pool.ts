/**
 * Part buffers shared by every upload of the process: at most `count` buffers of `partSize`
 * bytes exist, so upload memory is bounded by construction (count x partSize), whatever the
 * number of uploads. An upload that needs a buffer while all are in use waits for one;
 * meanwhile it reads nothing from its client, whose socket is then paused by back-pressure.
 * Buffers are reused, not reallocated, so the garbage collector does not set the peak either.
 *
 * `count` is what the budget leaves after the process's other upload memory (the read buffers
 * that fill the parts; MemoryBudget: the profiling thread while it runs), never
 * less than one. When it shrinks, buffers coming back beyond it are dropped rather than pooled.
 *
 * Once no upload has used the pool for IDLE_MS, its free buffers are dropped too: reuse is
 * what matters during a burst of uploads, and after one the process goes back to its idle
 * size rather than keep up to the whole budget for good.
 *
 * Each buffer is a view of its own resizable ArrayBuffer, and a dropped one is shrunk to zero.
 * V8 maps such buffers from the system directly and shrinking returns their pages at once,
 * where a plain Buffer's memory comes from malloc and goes back when the garbage collector
 * gets to it. Measured (bench/README.md, session 8): with plain Buffers, glibc served part
 * buffers from its heap once one had been freed (its mmap threshold moves up to the freed
 * size), and the freed holes stayed resident: the memory peaks of later uploads depended on
 * what the process had uploaded before.
 */

const IDLE_MS = 5000;

export class PartBufferPool {
  readonly partSize: number;
  readonly #budgetBytes: number;
  readonly #reserved: () => number;
  readonly #idleMs: number;
  readonly #readBytesPerPart: number;
  readonly #free: Buffer[] = [];
  readonly #waiting: Array<{ resolve(buffer: Buffer): void }> = [];
  #allocated = 0;
  #inUse = 0;
  #peakInUse = 0;
  #idle: NodeJS.Timeout | undefined;

  /**
   * `reserved`: bytes of the budget spent elsewhere now; `idleMs`: how long free buffers are kept
   * unused; `readBytesPerPart`: what each buffer's share of the budget adds for the socket reads
   * that fill it.
   */
  constructor(
    partSize: number,
    budgetBytes: number,
    reserved: () => number = () => 0,
    { idleMs = IDLE_MS, readBytesPerPart = 0 }: { idleMs?: number; readBytesPerPart?: number } = {},
  ) {
    this.partSize = partSize;
    this.#budgetBytes = budgetBytes;
    this.#reserved = reserved;
    this.#idleMs = idleMs;
    this.#readBytesPerPart = readBytesPerPart;
  }

  /** Buffers the budget allows now. */
  get count(): number {
    return Math.max(1, Math.floor((this.#budgetBytes - this.#reserved()) / (this.partSize + this.#readBytesPerPart)));
  }

  /** Buffers handed out now, and the most ever handed out at once (for tests and benchmarks). */
  get stats(): { inUse: number; peakInUse: number; allocated: number; waiting: number } {
    return { inUse: this.#inUse, peakInUse: this.#peakInUse, allocated: this.#allocated, waiting: this.#waiting.length };
  }

  async acquire(signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    clearTimeout(this.#idle);
    this.#idle = undefined;
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
    if (this.#allocated > this.count) {
      // The budget shrank: this buffer goes, a waiter waits on.
      this.#drop(buffer);
    } else {
      const next = this.#waiting.shift();
      if (next) next.resolve(buffer);
      else this.#free.push(buffer);
    }
    if (this.#inUse === 0) this.#dropWhenIdle();
  }

  #dropWhenIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (this.#inUse > 0) return;
      for (const buffer of this.#free.splice(0)) this.#drop(buffer);
    }, this.#idleMs);
    this.#idle.unref();
  }

  /** The budget grew, or shrank: allocate for waiters, or drop idle buffers beyond it. */
  resize(): void {
    while (this.#allocated > this.count && this.#free.length > 0) this.#drop(this.#free.pop() as Buffer);
    while (this.#waiting.length > 0 && this.#allocated < this.count) {
      (this.#waiting.shift() as { resolve(buffer: Buffer): void }).resolve(this.#allocate());
    }
  }

  #allocate(): Buffer {
    this.#allocated += 1;
    // Every byte sent is first written: a reused buffer is sent only up to its fill.
    const memory = new ArrayBuffer(this.partSize, { maxByteLength: this.partSize });
    return Buffer.from(memory, 0, this.partSize);
  }

  /** Its pages go back to the system now; the view left behind has length 0. */
  #drop(buffer: Buffer): void {
    this.#allocated -= 1;
    (buffer.buffer as ArrayBuffer).resize(0);
  }

  #handOut(buffer: Buffer): Buffer {
    this.#inUse += 1;
    this.#peakInUse = Math.max(this.#peakInUse, this.#inUse);
    return buffer;
  }
}
