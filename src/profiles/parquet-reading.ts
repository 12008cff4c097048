/**
 * Reads Parquet files on worker threads (parquet-worker.ts): footers for profiles, pages for
 * previews. hyparquet trusts the file it reads, and a crafted file of a few hundred bytes or a
 * few MB can make it allocate until V8 aborts the process, or spin for seconds. Here the worst
 * such a file can do is exhaust its thread's heap (HEAP_MB) or its deadline: the thread is ended
 * and the file is refused (422 invalid_file), while every other request goes on. What the file
 * declares is also checked before it sizes anything (parquet-bounds.ts), which bounds the memory
 * the heap limit does not cover (typed arrays) and gives most refusals a precise reason.
 *
 * Built once in the service wiring and closed with it. Up to `threads` files are read at once;
 * more wait their turn. A running thread costs the process ~34 MiB (measured: an isolate with
 * hyparquet loaded), taken out of the upload budget while it runs (MemoryBudget), as
 * the profiling thread's is; a thread idle for `idleMs` stops and gives it back. Nothing here
 * keeps the process alive while idle.
 */
import { Worker } from 'node:worker_threads';
import type { AsyncBuffer } from 'hyparquet';
import { AppError, isErrorCode } from '../errors.ts';
import { MemoryBudget } from '../uploads/memory-budget.ts';
import { checkFooter } from './parquet-bounds.ts';
import { type ParquetJob, type ParquetResult, type ParquetRows, runParquetJob } from './parquet-jobs.ts';
import type { FromParquetWorker, ToParquetWorker, WorkerError } from './parquet-messages.ts';
import { toWorkerError } from './parquet-messages.ts';

export interface ParquetReadingOptions {
  /** Files read at once (threads). */
  threads?: number;
  /** Longest a file may take to read before it is refused. */
  deadlineMs?: number;
  /** Each thread's old-generation heap. */
  heapMb?: number;
  idleMs?: number;
  /** Where each running thread's memory is reserved (the process's upload budget). */
  budget?: MemoryBudget;
}

type ReadRange = (start: number, end: number) => Promise<Buffer>;

/** What a running thread costs the process (measured ~34 MiB), reserved from UPLOAD_MEMORY_BUDGET_BYTES. */
export const THREAD_RESERVE_BYTES = 32 * 1024 * 1024;

interface Job {
  id: number;
  job: ParquetJob;
  size: number;
  readRange: ReadRange;
  /** Bytes the job may read in all; past it, `tooMuch`. */
  maxBytes: number;
  tooMuch: () => AppError;
  /** How long the job may take before its thread is ended. */
  deadlineMs: number;
  bytesRead: number;
  resolve(result: ParquetResult): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  /** Gives the thread's memory reservation back. */
  unreserve: () => void;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  idle: NodeJS.Timeout | undefined;
}

export class ParquetReading {
  readonly #threads: number;
  readonly #deadlineMs: number;
  readonly #heapMb: number;
  readonly #idleMs: number;
  readonly #budget: MemoryBudget;
  readonly #running = new Set<Thread>();
  readonly #waiting: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: ParquetReadingOptions = {}) {
    this.#threads = options.threads ?? 2;
    this.#deadlineMs = options.deadlineMs ?? 15_000;
    this.#heapMb = options.heapMb ?? 128;
    // Footers are read once per upload and previews come in bursts: a thread need not linger.
    this.#idleMs = options.idleMs ?? 5_000;
    this.#budget = options.budget ?? new MemoryBudget();
  }

  /** Rows and columns of the first row group, and the bytes read for them. */
  async preview(
    size: number,
    readRange: ReadRange,
    rows: number,
    maxBytes: number,
    tooMuch: () => AppError,
  ): Promise<{ result: ParquetResult; bytesRead: number }> {
    return this.#run({ kind: 'preview', rows }, size, readRange, maxBytes, tooMuch);
  }

  /** Rows `first` … `first + count - 1` of a flat file, read through its row groups and offset index; `key` names its bytes. */
  async rows(
    key: string,
    size: number,
    readRange: ReadRange,
    first: number,
    count: number,
    maxBytes: number,
    tooMuch: () => AppError,
  ): Promise<{ result: ParquetRows; bytesRead: number }> {
    const { result, bytesRead } = await this.#run({ kind: 'rows', first, count, key }, size, readRange, maxBytes, tooMuch);
    return { result: result as ParquetRows, bytesRead };
  }

  /**
   * The profile from the footer alone. A file that is no Parquet at all (no magic, a footer
   * length it cannot hold) is refused here, and a small footer (≤ MAIN_THREAD_FOOTER_BYTES: at
   * worst ~50 MiB and ~35 ms to parse, measured at ~190 bytes of heap per footer byte) is parsed
   * here too: a thread costs ~34 MiB of the process's memory, and most uploads need none.
   */
  async profile(size: number, readRange: ReadRange, maxColumns: number, maxBytes: number): Promise<ParquetResult> {
    const tooMuch = () => new AppError('invalid_file', `The Parquet footer would need more than ${maxBytes} bytes read.`);
    const job: ParquetJob = { kind: 'profile', maxColumns };
    const local = checkedFile(size, readRange, maxBytes, tooMuch);
    const tail = await local.slice(Math.max(0, size - 8), size);
    checkFooter(new DataView(tail), size);
    if (new DataView(tail).getUint32(0, true) <= MAIN_THREAD_FOOTER_BYTES) return runParquetJob(job, local);
    return (await this.#run(job, size, readRange, maxBytes, tooMuch)).result;
  }

  /**
   * A SHAP matrix's statistics from every value (parquet-matrix.ts): the whole file is read, one
   * column chunk at a time, on a thread, with a deadline that grows with the file (1 s per 8 MiB
   * beyond the usual 15 s).
   */
  async matrix(size: number, readRange: ReadRange, maxColumns: number): Promise<ParquetResult> {
    const tooMuch = () => new AppError('invalid_file', 'The Parquet file asked for more bytes than it holds.');
    const deadlineMs = this.#deadlineMs + Math.ceil(size / (8 * 1024 * 1024)) * 1000;
    return (await this.#run({ kind: 'matrix', maxColumns }, size, readRange, size + 1024 * 1024, tooMuch, deadlineMs)).result;
  }

  /** Threads reading now (for tests). */
  get threadsRunning(): number {
    return this.#running.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(new AppError('shutting_down', 'The server is shutting down.'));
    await Promise.allSettled(
      [...this.#running].map((thread) => this.#end(thread, new AppError('shutting_down', 'The server is shutting down.'))),
    );
  }

  #run(
    job: ParquetJob,
    size: number,
    readRange: ReadRange,
    maxBytes: number,
    tooMuch: () => AppError,
    deadlineMs = this.#deadlineMs,
  ): Promise<{ result: ParquetResult; bytesRead: number }> {
    if (this.#closed) return Promise.reject(new AppError('shutting_down', 'The server is shutting down.'));
    return new Promise((resolve, reject) => {
      const queued: Job = {
        id: this.#nextId++,
        job,
        size,
        readRange,
        maxBytes,
        tooMuch,
        deadlineMs,
        bytesRead: 0,
        resolve: (result) => resolve({ result, bytesRead: queued.bytesRead }),
        reject,
      };
      this.#waiting.push(queued);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#waiting.length > 0) {
      let thread = [...this.#running].find((candidate) => candidate.job === undefined);
      if (!thread) {
        if (this.#running.size >= this.#threads) return;
        thread = this.#start();
      }
      const job = this.#waiting.shift() as Job;
      this.#assign(thread, job);
    }
  }

  #start(): Thread {
    const file = import.meta.url.endsWith('.ts') ? './parquet-worker.ts' : './parquet-worker.js';
    const worker = new Worker(new URL(file, import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.#heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    const thread: Thread = {
      worker,
      unreserve: this.#budget.reserve(THREAD_RESERVE_BYTES),
      job: undefined,
      timer: undefined,
      idle: undefined,
    };
    this.#running.add(thread);
    worker.on('message', (message: FromParquetWorker) => this.#onMessage(thread, message));
    worker.on('error', (error: Error & { code?: string }) => {
      const refusal =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new AppError('invalid_file', `Reading this Parquet file would take more than ${this.#heapMb} MiB of memory.`)
          : new AppError('preview_unavailable', `The Parquet file could not be read: ${error.message}`);
      void this.#end(thread, refusal);
    });
    worker.on('exit', () => {
      void this.#end(thread, new AppError('preview_unavailable', 'The Parquet reading thread stopped.'));
    });
    return thread;
  }

  #assign(thread: Thread, job: Job): void {
    clearTimeout(thread.idle);
    thread.job = job;
    thread.worker.ref();
    thread.timer = setTimeout(() => {
      void this.#end(
        thread,
        new AppError('invalid_file', `Reading this Parquet file took longer than ${job.deadlineMs / 1000} s; it was stopped.`),
      );
    }, job.deadlineMs);
    thread.worker.postMessage({ type: 'job', id: job.id, job: job.job, size: job.size } satisfies ToParquetWorker);
  }

  #onMessage(thread: Thread, message: FromParquetWorker): void {
    const job = thread.job;
    if (!job || job.id !== message.id) return;
    if (message.type === 'read') {
      void this.#read(job, message.start, message.end).then(
        (bytes) =>
          thread.worker.postMessage({ type: 'bytes', id: job.id, read: message.read, bytes } satisfies ToParquetWorker, [bytes]),
        (error: unknown) =>
          thread.worker.postMessage({
            type: 'readFailed',
            id: job.id,
            read: message.read,
            error: toWorkerError(error),
          } satisfies ToParquetWorker),
      );
      return;
    }
    this.#finish(thread);
    if (message.type === 'done') job.resolve(message.result);
    else job.reject(fromWorkerError(message.error));
  }

  /** A range the thread asks for: inside the file, within the job's byte budget, then from storage. */
  async #read(job: Job, start: number, end: number): Promise<ArrayBuffer> {
    checkRange(start, end, job.size);
    job.bytesRead += end - start;
    if (job.bytesRead > job.maxBytes) throw job.tooMuch();
    const bytes = await job.readRange(start, end);
    // A copy the thread can own (transferred, not cloned); storage reads may share a pool.
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /** The job is over; the thread takes the next one or idles. */
  #finish(thread: Thread): void {
    clearTimeout(thread.timer);
    thread.job = undefined;
    if (this.#waiting.length > 0) {
      this.#assign(thread, this.#waiting.shift() as Job);
      return;
    }
    thread.worker.unref();
    thread.idle = setTimeout(() => void this.#end(thread), this.#idleMs);
    thread.idle.unref();
  }

  /** Stops a thread; its job, if any, fails with `error`. */
  async #end(thread: Thread, error?: Error): Promise<void> {
    if (!this.#running.delete(thread)) return;
    thread.unreserve();
    clearTimeout(thread.timer);
    clearTimeout(thread.idle);
    const job = thread.job;
    thread.job = undefined;
    if (job) job.reject(error ?? new AppError('preview_unavailable', 'The Parquet reading thread stopped.'));
    await thread.worker.terminate().catch(() => undefined);
    if (!this.#closed) this.#dispatch();
  }
}

/** Footers up to this size are parsed on the calling thread (see profile()). */
export const MAIN_THREAD_FOOTER_BYTES = 256 * 1024;

/** A range the file's own declarations asked for: inside the file, or the file lies. */
function checkRange(start: number, end: number, size: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end > size || end < start) {
    throw new AppError(
      'invalid_file',
      `The Parquet file is not what it declares: it points at bytes ${start}-${end} of a ${size}-byte file.`,
    );
  }
}

/** Range reads on this thread, with the same checks and byte budget as a thread's reads. */
function checkedFile(size: number, readRange: ReadRange, maxBytes: number, tooMuch: () => AppError): AsyncBuffer {
  let bytesRead = 0;
  return {
    byteLength: size,
    async slice(start: number, end = size) {
      checkRange(start, end, size);
      bytesRead += end - start;
      if (bytesRead > maxBytes) throw tooMuch();
      const bytes = await readRange(start, end);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

function fromWorkerError(error: WorkerError): Error {
  if (error.code && isErrorCode(error.code)) {
    return new AppError(error.code, error.message, error.details ? { details: error.details } : {});
  }
  return new Error(error.message);
}
