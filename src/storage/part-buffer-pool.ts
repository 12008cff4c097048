/**
 * Part buffers shared by every upload of the process: at most `count` buffers of `partSize`
 * bytes exist, so upload memory is bounded by construction (count x partSize), whatever the
 * number of uploads. An upload that needs a buffer while all are in use waits for one;
 * meanwhile it reads nothing from its client, whose socket is then paused by back-pressure.
 * Buffers are reused, not reallocated, so the garbage collector does not set the peak either.
 *
 * `count` is what the budget leaves after the process's other upload memory
 * (src/memory-reservations.ts: the profiling thread while it runs), never less than one. When it
 * shrinks, buffers coming back beyond it are dropped rather than pooled.
 *
 * Once no upload has used the pool for IDLE_MS, its free buffers are dropped too: reuse is
 * what matters during a burst of uploads, and after one the process goes back to its idle
 * size rather than keep up to the whole budget for good.
 *
 * A dropped buffer's memory is freed at once (its ArrayBuffer detached), not when the garbage
 * collector gets to it: pool buffers live in the old generation, which V8 collects late, so
 * dropped buffers stayed in RSS (the bench's 100 slow uploads, after 8 x 512 MiB filled the
 * pool: up to 48 MiB), and forcing a collection slowed the streams that followed (read-buffers.ts).
 * A part whose request failed or was aborted is released while its socket may still be
 * writing from it for a moment: such a buffer is detached only once SETTLED_MS have passed.
 */

const IDLE_MS = 5000;
const SETTLED_MS = 1000;

interface FreeBuffer {
  buffer: Buffer;
  /** From when no socket can be writing from it. */
  since: number;
}

export class PartBufferPool {
  readonly partSize: number;
  readonly #budgetBytes: number;
  readonly #reserved: () => number;
  readonly #idleMs: number;
  readonly #settledMs: number;
  readonly #free: FreeBuffer[] = [];
  readonly #waiting: Array<{ resolve(buffer: Buffer): void }> = [];
  #allocated = 0;
  #inUse = 0;
  #peakInUse = 0;
  #idle: NodeJS.Timeout | undefined;

  /**
   * `reserved`: bytes of the budget spent elsewhere now; `timing`: how long free buffers are kept
   * unused, and how long one must have been free before its memory is freed at once.
   */
  constructor(
    partSize: number,
    budgetBytes: number,
    reserved: () => number = () => 0,
    timing: { idleMs?: number; settledMs?: number } = {},
  ) {
    this.partSize = partSize;
    this.#budgetBytes = budgetBytes;
    this.#reserved = reserved;
    this.#idleMs = timing.idleMs ?? IDLE_MS;
    this.#settledMs = timing.settledMs ?? SETTLED_MS;
  }

  /** Buffers the budget allows now. */
  get count(): number {
    return Math.max(1, Math.floor((this.#budgetBytes - this.#reserved()) / this.partSize));
  }

  /** Buffers handed out now, and the most ever handed out at once (for tests and benchmarks). */
  get stats(): { inUse: number; peakInUse: number; allocated: number; waiting: number } {
    return { inUse: this.#inUse, peakInUse: this.#peakInUse, allocated: this.#allocated, waiting: this.#waiting.length };
  }

  async acquire(signal?: AbortSignal): Promise<Buffer> {
    signal?.throwIfAborted();
    clearTimeout(this.#idle);
    this.#idle = undefined;
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

  /**
   * Gives a buffer back. `settled`: no socket can still be writing from it (false for a part
   * whose request failed or was aborted): only then may its memory be freed at once when dropped.
   */
  release(buffer: Buffer, settled = true): void {
    this.#inUse -= 1;
    if (this.#allocated > this.count) {
      // The budget shrank: this buffer goes, a waiter waits on.
      this.#drop({ buffer, since: settled ? Number.NEGATIVE_INFINITY : Date.now() });
    } else {
      const next = this.#waiting.shift();
      if (next) next.resolve(buffer);
      else this.#free.push({ buffer, since: settled ? Date.now() - this.#settledMs : Date.now() });
    }
    if (this.#inUse === 0) this.#dropWhenIdle();
  }

  #dropWhenIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (this.#inUse > 0) return;
      for (const free of this.#free.splice(0)) this.#drop(free);
    }, this.#idleMs);
    this.#idle.unref();
  }

  /** The budget grew, or shrank: allocate for waiters, or drop idle buffers beyond it. */
  resize(): void {
    // The longest free go first: they are the ones that can be freed at once.
    while (this.#allocated > this.count && this.#free.length > 0) this.#drop(this.#free.shift() as FreeBuffer);
    while (this.#waiting.length > 0 && this.#allocated < this.count) {
      (this.#waiting.shift() as { resolve(buffer: Buffer): void }).resolve(this.#allocate());
    }
  }

  #drop(free: FreeBuffer): void {
    this.#allocated -= 1;
    // allocUnsafeSlow gave each buffer an ArrayBuffer of its own: detaching it frees the memory.
    if (Date.now() - free.since >= this.#settledMs) (free.buffer.buffer as ArrayBuffer).transfer(0);
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
