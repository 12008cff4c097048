/**
 * The profiling thread: text profiles (CSV, TSV, JSON lines) are computed here, off the event
 * loop that serves requests, on the chunks the upload meter copies over. One thread serves every
 * job in this process, one message at a time; each chunk is acknowledged once profiled, which is
 * the back-pressure the meter waits on.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { StreamProfiler } from './text-profiler.ts';
import { DelimitedProfiler, JsonLinesProfiler } from './text-profiler.ts';

export type ToWorker =
  | { type: 'start'; job: number; format: 'csv' | 'tsv' | 'jsonl'; maxColumns: number }
  | { type: 'chunk'; job: number; bytes: Uint8Array }
  | { type: 'skip'; job: number; lines: number }
  | { type: 'finish'; job: number };

export type FromWorker =
  | { type: 'ack'; job: number; bytes: number }
  | { type: 'done'; job: number; profile: unknown }
  | { type: 'failed'; job: number; message: string };

const jobs = new Map<number, StreamProfiler | { failed: string }>();
const port = parentPort;
if (!port) throw new Error('profile-worker.ts runs as a worker thread');

// The lowest CPU priority, for this thread only (Linux keeps a nice value per thread): profiles
// use the CPU that uploads and requests leave over, and skip ahead when there is none
// (profile-feed.ts). Measured on the bench's 512 MiB CSV, 5 runs each: at nice 19 the upload
// kept 0.98 of its speed (9-12 % of rows profiled), at nice 0 only 0.87 (17-27 %).
// Where lowering it is refused, profiling simply runs at normal priority.
try {
  setPriority(19);
} catch {}

port.on('message', (message: ToWorker) => {
  const reply = (answer: FromWorker) => port.postMessage(answer);
  switch (message.type) {
    case 'start':
      jobs.set(
        message.job,
        message.format === 'jsonl'
          ? new JsonLinesProfiler(message.maxColumns)
          : new DelimitedProfiler(message.format, message.maxColumns),
      );
      return;
    case 'chunk': {
      const job = jobs.get(message.job);
      if (job && !('failed' in job)) {
        try {
          job.write(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
        } catch (error) {
          jobs.set(message.job, { failed: (error as Error).message });
        }
      }
      reply({ type: 'ack', job: message.job, bytes: message.bytes.byteLength });
      return;
    }
    case 'skip': {
      const job = jobs.get(message.job);
      if (job && !('failed' in job)) job.skip(message.lines);
      return;
    }
    case 'finish': {
      const job = jobs.get(message.job);
      jobs.delete(message.job);
      if (!job) return reply({ type: 'failed', job: message.job, message: 'unknown job' });
      if ('failed' in job) return reply({ type: 'failed', job: message.job, message: job.failed });
      try {
        reply({ type: 'done', job: message.job, profile: job.finish() });
      } catch (error) {
        reply({ type: 'failed', job: message.job, message: (error as Error).message });
      }
      return;
    }
  }
});
