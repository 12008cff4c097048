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
 * A free buffer no upload has taken for IDLE_MS is dropped too, whether or not other buffers are
 * in use: reuse is what matters during a burst of uploads, and after one the pool shrinks to
 * what the uploads still running use, rather than keep its peak (up to the whole budget) for
 * as long as any upload runs. Free buffers are a stack, so the ones at its bottom are those
 * free the longest: under a steady load they are the ones that go.
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
  /** Free buffers, the longest free first, each with when it came back. */
  readonly #free: Array<{ buffer: Buffer; since: number }> = [];
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
    const ready = this.#free.pop()?.buffer ?? (this.#allocated < this.count ? this.#allocate() : undefined);
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
      else {
        this.#free.push({ buffer, since: performance.now() });
        this.#dropIdleLater();
      }
    }
  }

  /** While buffers are free, drops each one once it has been free for the idle time. */
  #dropIdleLater(): void {
    const oldest = this.#free[0];
    if (this.#idle || !oldest) return;
    this.#idle = setTimeout(
      () => {
        this.#idle = undefined;
        const cutoff = performance.now() - this.#idleMs;
        for (let free = this.#free[0]; free && free.since <= cutoff; free = this.#free[0]) {
          this.#free.shift();
          this.#drop(free.buffer);
        }
        this.#dropIdleLater();
      },
      Math.max(0, oldest.since + this.#idleMs - performance.now()),
    );
    this.#idle.unref();
  }

  /** The budget grew, or shrank: allocate for waiters, or drop idle buffers beyond it. */
  resize(): void {
    for (let free = this.#free.at(-1); free && this.#allocated > this.count; free = this.#free.at(-1)) {
      this.#free.pop();
      this.#drop(free.buffer);
    }
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
