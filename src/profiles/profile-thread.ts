/**
 * The main side of the profiling thread (profile-worker.ts): started when the first text file
 * is profiled, shared by all uploads, unref'd so it never keeps the process alive. A job sends
 * copies of the chunks it sees; once more than IN_FLIGHT_BYTES of copies, all uploads together,
 * are not yet profiled, the uploads that send more wait: they go at the profiler's pace instead
 * of queueing their files in memory, however many there are (a budget per upload let 100
 * concurrent CSV uploads hold 100 × that in copies).
 * If the thread dies, its jobs fail (their files upload without a profile) and the next job
 * starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { DatasetProfile } from './profile.ts';
import type { FromWorker, ToWorker } from './profile-worker.ts';

const IN_FLIGHT_BYTES = 16 * 1024 * 1024;

interface JobState {
  inFlight: number;
  result?: { resolve(profile: DatasetProfile): void; reject(error: Error): void };
  failed?: Error;
}

let worker: Worker | undefined;
let nextJob = 1;
const jobs = new Map<number, JobState>();
/** Copies sent and not yet profiled, every job together; writers waiting for it to drop. */
let inFlight = 0;
const waiters: Array<() => void> = [];

function release(bytes: number): void {
  inFlight -= bytes;
  if (inFlight <= IN_FLIGHT_BYTES) for (const wake of waiters.splice(0)) wake();
}

function thread(): Worker {
  if (worker) return worker;
  const file = import.meta.url.endsWith('.ts') ? './profile-worker.ts' : './profile-worker.js';
  const started = new Worker(new URL(file, import.meta.url));
  started.on('message', (message: FromWorker) => {
    const job = jobs.get(message.job);
    if (!job) return;
    if (message.type === 'ack') {
      job.inFlight -= message.bytes;
      release(message.bytes);
    } else {
      jobs.delete(message.job);
      holdWhileBusy();
      if (message.type === 'done') job.result?.resolve(message.profile as DatasetProfile);
      else job.result?.reject(new Error(message.message));
    }
  });
  const fail = (error: Error) => {
    worker = undefined;
    for (const [id, job] of jobs) {
      job.failed = error;
      job.result?.reject(error);
      jobs.delete(id);
      release(job.inFlight);
    }
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`the profiling thread exited (${code})`)));
  worker = started;
  return started;
}

/** The thread keeps the process alive while it has jobs, never when idle. */
function holdWhileBusy(): void {
  if (!worker) return;
  if (jobs.size > 0) worker.ref();
  else worker.unref();
}

export class ThreadProfileJob {
  readonly #id = nextJob++;
  readonly #state: JobState = { inFlight: 0 };
  readonly #worker: Worker;

  constructor(format: 'csv' | 'tsv' | 'jsonl', maxColumns: number) {
    this.#worker = thread();
    jobs.set(this.#id, this.#state);
    holdWhileBusy();
    this.#send({ type: 'start', job: this.#id, format, maxColumns });
  }

  /** Sends a copy of `chunk`; resolves at once, or once the thread has caught up. */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.#state.failed) return undefined;
    const copy = new Uint8Array(chunk);
    this.#state.inFlight += copy.byteLength;
    inFlight += copy.byteLength;
    this.#worker.postMessage({ type: 'chunk', job: this.#id, bytes: copy } satisfies ToWorker, [copy.buffer]);
    if (inFlight <= IN_FLIGHT_BYTES) return undefined;
    return new Promise((resolve) => waiters.push(resolve));
  }

  finish(): Promise<DatasetProfile> {
    if (this.#state.failed) return Promise.reject(this.#state.failed);
    return new Promise((resolve, reject) => {
      this.#state.result = { resolve, reject };
      this.#send({ type: 'finish', job: this.#id });
    });
  }

  /** The upload failed: the thread forgets the job. */
  abandon(): void {
    if (!jobs.has(this.#id)) return;
    this.#state.result = { resolve: () => {}, reject: () => {} };
    this.#send({ type: 'finish', job: this.#id });
  }

  #send(message: ToWorker): void {
    this.#worker.postMessage(message);
  }
}
