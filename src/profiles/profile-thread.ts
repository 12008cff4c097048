/**
 * The main side of the profiling thread (profile-worker.ts): one ProfilingThread per process,
 * made in the service wiring; its worker starts when the first text file is profiled, is shared
 * by all uploads, and is unref'd so it never keeps the process alive. A job sends
 * copies of the chunks it sees; at most IN_FLIGHT_BYTES of copies, all uploads together, wait
 * to be profiled (a budget per upload let 100 concurrent CSV uploads hold 100 × that in
 * copies). When the budget is full, an upload past its first WHOLE_BYTES skips ahead
 * (profile-feed.ts) and one within them waits: it goes at the profiler's pace.
 * If the thread dies, its jobs fail (their files upload without a profile) and the next job
 * starts a new one.
 *
 * The thread's memory comes out of the upload budget (MemoryBudget) while it runs, and it
 * stops once idle for a while, giving the memory back.
 */
import { Worker } from 'node:worker_threads';
import { MemoryBudget } from '../uploads/memory-budget.ts';
import type { DatasetProfile } from './profile.ts';
import { NotProfiled, ProfileFeed } from './profile-feed.ts';
import type { FromWorker, ToWorker } from './profile-worker.ts';
import type { RowIndex } from './row-index.ts';

const IN_FLIGHT_BYTES = 16 * 1024 * 1024;
/**
 * What the running thread costs the process, reserved from UPLOAD_MEMORY_BUDGET_BYTES. Measured
 * (bench/README.md): ~15 MiB once started and idle; 100 concurrent uploads of binary files named
 * .csv raised the process's peak by ~43 MiB more with profiling than without (its heap, its
 * copies in flight, its native memory).
 */
export const THREAD_RESERVE_BYTES = 48 * 1024 * 1024;
/** How long the thread waits for another job before it stops. */
const IDLE_MS = 30_000;

interface JobState {
  inFlight: number;
  /** The thread the job runs on (a stopped thread fails only its own jobs). */
  thread?: Worker;
  result?: { resolve(profile: DatasetProfile): void; reject(error: Error): void };
  failed?: Error;
}

export class ProfilingThread {
  readonly #budget: MemoryBudget;
  readonly #idleMs: number;
  #worker: Worker | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #nextJob = 1;
  readonly jobs = new Map<number, JobState>();
  /** Copies sent and not yet profiled, every job together; writers waiting for it to drop. */
  inFlight = 0;
  readonly #waiters: Array<() => void> = [];
  #closed = false;

  constructor(options: { budget?: MemoryBudget; idleMs?: number } = {}) {
    this.#budget = options.budget ?? new MemoryBudget();
    this.#idleMs = options.idleMs ?? IDLE_MS;
  }

  /** A job profiling one file of this format. */
  job(format: 'csv' | 'tsv' | 'jsonl', maxColumns: number, wholeBytes?: number): ThreadProfileJob {
    return new ThreadProfileJob(this, format, maxColumns, wholeBytes);
  }

  /** Whether the worker runs now. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Stops the worker (its jobs fail: their files upload without a profile). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  nextJobId(): number {
    return this.#nextJob++;
  }

  /** Waits until the copies in flight drop under the budget. */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(bytes: number): void {
    this.inFlight -= bytes;
    if (this.inFlight <= IN_FLIGHT_BYTES) for (const wake of this.#waiters.splice(0)) wake();
  }

  thread(): Worker {
    if (this.#worker) return this.#worker;
    if (this.#closed) throw new Error('the profiling thread is closed');
    const file = import.meta.url.endsWith('.ts') ? './profile-worker.ts' : './profile-worker.js';
    const started = new Worker(new URL(file, import.meta.url));
    const unreserve = this.#budget.reserve(THREAD_RESERVE_BYTES);
    started.on('message', (message: FromWorker) => {
      const job = this.jobs.get(message.job);
      if (!job) return;
      if (message.type === 'ack') {
        job.inFlight -= message.bytes;
        this.release(message.bytes);
      } else {
        this.jobs.delete(message.job);
        this.holdWhileBusy();
        if (message.type === 'done') job.result?.resolve(message.profile as DatasetProfile);
        else job.result?.reject(new Error(message.message));
      }
    });
    const fail = (error: Error) => {
      if (this.#worker === started) this.#worker = undefined;
      for (const [id, job] of this.jobs) {
        if (job.thread !== started) continue;
        job.failed = error;
        job.result?.reject(error);
        this.jobs.delete(id);
        this.release(job.inFlight);
      }
    };
    started.on('error', fail);
    started.on('exit', (code) => {
      unreserve();
      fail(new Error(`the profiling thread exited (${code})`));
    });
    this.#worker = started;
    return started;
  }

  /** The thread keeps the process alive while it has jobs, never when idle; idle long, it stops. */
  holdWhileBusy(): void {
    const worker = this.#worker;
    if (!worker) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.jobs.size > 0) {
      worker.ref();
      return;
    }
    worker.unref();
    this.#idleTimer = setTimeout(() => {
      if (this.#worker !== worker || this.jobs.size > 0) return;
      this.#worker = undefined;
      void worker.terminate();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }
}

/** One file's profiling on the shared thread. */
export class ThreadProfileJob {
  readonly #owner: ProfilingThread;
  readonly #id: number;
  readonly #state: JobState = { inFlight: 0 };
  readonly #worker: Worker;
  readonly #feed: ProfileFeed;

  constructor(owner: ProfilingThread, format: 'csv' | 'tsv' | 'jsonl', maxColumns: number, wholeBytes?: number) {
    this.#owner = owner;
    this.#id = owner.nextJobId();
    this.#feed = new ProfileFeed(format, wholeBytes);
    this.#worker = owner.thread();
    this.#state.thread = this.#worker;
    owner.jobs.set(this.#id, this.#state);
    owner.holdWhileBusy();
    this.#send({ type: 'start', job: this.#id, format, maxColumns });
  }

  /**
   * Sends a copy of `chunk` (or skips it, see profile-feed.ts); a promise when the upload must
   * wait for the thread to catch up.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.#state.failed) return undefined;
    // Uploads that may skip ahead use half the budget at most: the other half stays for files
    // in their first WHOLE_BYTES, which wait for the thread, so they do not wait behind them.
    const budget = this.#feed.mayFallBehind ? IN_FLIGHT_BYTES / 2 : IN_FLIGHT_BYTES;
    const step = this.#feed.next(chunk, this.#owner.inFlight + chunk.length <= budget);
    if (step.skipLines !== undefined) this.#send({ type: 'skip', job: this.#id, lines: step.skipLines });
    if (step.send && step.send.length > 0) {
      const copy = new Uint8Array(step.send);
      this.#state.inFlight += copy.byteLength;
      this.#owner.inFlight += copy.byteLength;
      this.#worker.postMessage({ type: 'chunk', job: this.#id, bytes: copy } satisfies ToWorker, [copy.buffer]);
    }
    const notATable = this.#feed.notATable;
    if (notATable) {
      // Stop now: the thread drops what it held of this file, and the upload goes on unprofiled.
      this.#state.failed = new NotProfiled(notATable);
      this.abandon();
      return undefined;
    }
    if (this.#owner.inFlight <= IN_FLIGHT_BYTES || this.#feed.mayFallBehind) return undefined;
    return this.#owner.waitForRoom();
  }

  async finish(): Promise<DatasetProfile> {
    if (this.#state.failed) throw this.#state.failed;
    const { skippedRecords, dropPartial } = this.#feed.end();
    if (dropPartial) this.#send({ type: 'skip', job: this.#id, lines: 0 });
    const profile = await new Promise<DatasetProfile>((resolve, reject) => {
      this.#state.result = { resolve, reject };
      this.#send({ type: 'finish', job: this.#id });
    });
    // Rows skipped to keep up were counted, not profiled: the statistics are a sample, and say so.
    const sampled = skippedRecords > 0 && profile.status === 'complete';
    return { ...profile, rows: profile.rows + skippedRecords, ...(sampled ? { status: 'sampled' as const } : {}) };
  }

  /** The file's sparse row index, written as its bytes passed (every byte, skipped ones too). */
  rowIndex(): RowIndex {
    return this.#feed.rowIndex();
  }

  /** The upload failed: the thread forgets the job. */
  abandon(): void {
    if (!this.#owner.jobs.has(this.#id)) return;
    this.#state.result = { resolve: () => {}, reject: () => {} };
    this.#send({ type: 'finish', job: this.#id });
  }

  #send(message: ToWorker): void {
    this.#worker.postMessage(message);
  }
}
