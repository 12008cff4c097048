/**
 * The Parquet reading thread (parquet-reading.ts is its main side): runs one job at a time
 * (parquet-jobs.ts) over bytes the main thread reads from storage on request. Whatever a hostile
 * file makes hyparquet do happens here, under this thread's heap limit and the job's deadline.
 */
import { parentPort } from 'node:worker_threads';
import type { AsyncBuffer } from 'hyparquet';
import { runParquetJob } from './parquet-jobs.ts';
import type { FromParquetWorker, ToParquetWorker, WorkerError } from './parquet-messages.ts';
import { toWorkerError } from './parquet-messages.ts';

const port = parentPort;
if (!port) throw new Error('parquet-worker.ts runs as a worker thread');

const pendingReads = new Map<number, { resolve(bytes: ArrayBuffer): void; reject(error: WorkerError): void }>();
let nextRead = 1;

function remoteFile(id: number, size: number): AsyncBuffer {
  return {
    byteLength: size,
    slice(start: number, end = size) {
      const read = nextRead++;
      return new Promise<ArrayBuffer>((resolve, reject) => {
        pendingReads.set(read, {
          resolve,
          reject: (error) => reject(Object.assign(new Error(error.message), { remote: error })),
        });
        port?.postMessage({ type: 'read', id, read, start, end } satisfies FromParquetWorker);
      });
    },
  };
}

port.on('message', (message: ToParquetWorker) => {
  if (message.type === 'job') {
    void runParquetJob(message.job, remoteFile(message.id, message.size)).then(
      (result) => port.postMessage({ type: 'done', id: message.id, result } satisfies FromParquetWorker),
      (error: unknown) => {
        // A refusal of the main side's read (the byte cap, the file's bounds) goes back as it was.
        const remote = (error as { remote?: WorkerError }).remote;
        port.postMessage({ type: 'failed', id: message.id, error: remote ?? toWorkerError(error) } satisfies FromParquetWorker);
      },
    );
    return;
  }
  const pending = pendingReads.get(message.read);
  if (!pending) return;
  pendingReads.delete(message.read);
  if (message.type === 'bytes') pending.resolve(message.bytes);
  else pending.reject(message.error);
});
