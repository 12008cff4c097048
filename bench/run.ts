/**
 * `npm run bench`: the product's performance promises, each measured as a ratio against a
 * baseline run in the same process tree (absolute times on shared machines are noise).
 * s3rver runs in a process of its own and the API in another, so the API's memory is its own.
 * Postgres: BENCH_DATABASE_URL or TEST_DATABASE_URL (any database it may create from), else the
 * tests' embedded Postgres is started.
 * Writes bench/results/latest.json and prints a Markdown table for bench/README.md.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import autocannon from 'autocannon';
import { parquetWriteBuffer } from 'hyparquet-writer';
import postgres from 'postgres';
import { createArtifactClient } from '../client/index.ts';
import { encodeCursor } from '../src/pagination.ts';
import { projectRoot } from '../src/project-files.ts';
import { createS3Client } from '../src/storage/s3-client.ts';
import { patternFile } from '../test/support/data.ts';
import { globalSetup, globalTeardown } from '../test/support/global-setup.ts';
import { multipart, sendForm } from '../test/support/multipart.ts';
import { benchExplanationRows } from './explanation-rows.ts';
import { benchMillion } from './million.ts';
import { belowRow, median, type Row, ratioRow } from './rows.ts';
import { benchSoak } from './soak.ts';

const MiB = 1024 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 20);
const PART_SIZE = Number(process.env.UPLOAD_PART_SIZE_BYTES ?? 8 * MiB);
const QUEUE_SIZE = Number(process.env.UPLOAD_QUEUE_SIZE ?? 4);
const root = projectRoot();
/** BENCH_ONLY=links,listing runs those sections only (uploads, direct, profiles, importances, rows, memory, links, listing, million, soak, coldstart). */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
const want = (section: string) => ONLY.size === 0 || ONLY.has(section);
const readRssMiB = async (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const children: ChildProcess[] = [];

const rows: Row[] = [];
const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/**
 * `count` ready models of the dataset `bench` (names m0…m{names-1}, versions from firstVersion + 1,
 * one second apart, an auc each), each with one file, written straight into the database with
 * what xai_finalize_version stores for a version made ready through the API (files_json) and
 * the metric rows xai_reserve_model writes.
 */
async function insertModels(
  sql: postgres.Sql,
  { count, names, firstVersion }: { count: number; names: number; firstVersion: number },
) {
  await sql`with m as (
      insert into models (id, owner_id, dataset_id, name, version, framework, format, safe_to_load, metrics, key_prefix, state, created_at)
      select gen_random_uuid(), 'local', d.id, 'm' || (n % ${names}::integer), ${firstVersion}::integer + n, 'xgboost', 'xgboost-json', true,
             jsonb_build_object('auc', random()), 'models/bench/m/v' || n || '-' || gen_random_uuid() || '/', 'ready',
             now() - (n || ' seconds')::interval
      from generate_series(1, ${count}::integer) n, datasets d where d.name = 'bench'
      returning id, key_prefix)
    insert into files (id, model_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id)
    select gen_random_uuid(), m.id, 'local', 'm.json', m.key_prefix || 'm.json', 'application/json', 10, repeat('a', 64), 'ready', m.id from m`;
  await sql`update models set files_json = xai_version_files_json(id, null) where files_json is null`;
  await sql`select xai_sync_model_metrics(m) from models m where not exists (select 1 from model_metrics mm where mm.model_id = m.id)`;
}

function spawnNode(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): { child: ChildProcess; lines: AsyncIterableIterator<string>; discard: () => void } {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', ...args, path.join(root, script)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let buffer = '';
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    // Keep only what we may wait for; request logs are dropped.
    for (const line of parts) if (queue.length < 100) queue.push(line);
    wake?.();
  };
  child.stdout?.on('data', onData);
  // Once started, a process's output is drained unread: the request logs of the API under load
  // would otherwise be split into lines on the thread that also runs autocannon.
  const discard = () => {
    child.stdout?.off('data', onData);
    child.stdout?.resume();
  };
  async function* lines() {
    for (;;) {
      while (queue.length > 0) yield queue.shift() as string;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return { child, lines: lines(), discard };
}

async function firstMatch(lines: AsyncIterableIterator<string>, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs).unref(),
  );
  const search = (async () => {
    for await (const line of lines) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    throw new Error('process ended');
  })();
  return Promise.race([search, timeout]);
}

/** Share of the machine's CPU time that was idle over `ms` (from /proc/stat; 1 where unreadable). */
async function idleShare(ms: number): Promise<number> {
  const read = async () => {
    const line = (await fs.readFile('/proc/stat', 'utf8').catch(() => '')).split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
  };
  const before = await read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await read();
  return after.total > before.total ? (after.idle - before.idle) / (after.total - before.total) : 1;
}

/**
 * Waits until the machine is quiet (≥ 90 % idle over a second; at most 60 s): what a cold start
 * measures is the process starting, not the previous section's leftovers (Postgres vacuuming
 * 100,000 inserted rows, the S3 server deleting gigabytes).
 */
async function untilQuiet(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await idleShare(1000)) < 0.9 && Date.now() < deadline);
}

/** Peak VmRSS of a process, sampled every 20 ms while `work` runs. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = 0;
  const sample = async () => {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    peak = Math.max(peak, Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
  };
  const timer = setInterval(() => void sample(), 20);
  try {
    const result = await work();
    await sample();
    return { result, peakMiB: peak / 1024 };
  } finally {
    clearInterval(timer);
  }
}

/** A CSV shaped like IEEE-CIS train_transaction.csv (394 columns), about `size` bytes, written to disk. */
/** Writes the CSV; returns its number of data rows. */
async function writeWideCsv(file: string, size: number): Promise<number> {
  const header = ['TransactionID', 'isFraud', 'TransactionDT', 'TransactionAmt', 'ProductCD'];
  for (let card = 1; card <= 6; card += 1) header.push(`card${card}`);
  for (let v = 1; header.length < 394; v += 1) header.push(`V${v}`);
  let state = 42;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const products = ['W', 'H', 'C', 'S', 'R'];
  let count = 0;
  async function* rows() {
    yield Buffer.from(`${header.join(',')}\n`);
    let written = 0;
    for (let row = 0; written < size; row += 1) {
      const lines: string[] = [];
      for (let batch = 0; batch < 200; batch += 1) {
        const fields = [
          String(2987000 + row * 200 + batch),
          next() < 0.035 ? '1' : '0',
          String(86400 + row),
          (next() * 5000).toFixed(2),
        ];
        fields.push(products[Math.floor(next() * 5)] as string);
        for (let card = 1; card <= 6; card += 1) fields.push(String(Math.floor(next() * 20000)));
        while (fields.length < 394) fields.push(next() < 0.4 ? '' : next().toFixed(1));
        lines.push(fields.join(','));
      }
      count += lines.length;
      const chunk = Buffer.from(`${lines.join('\n')}\n`);
      written += chunk.length;
      yield chunk;
    }
  }
  await pipeline(Readable.from(rows()), createWriteStream(file));
  return count;
}

/** A .npy SHAP matrix (float32, C order) of `rows` × `columns` pseudo-random values in (-1, 1), written to disk. */
async function writeNpyMatrix(file: string, rows: number, columns: number): Promise<void> {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${columns}), }`;
  header += `${' '.repeat(64 - ((10 + header.length + 1) % 64))}\n`;
  const length = Buffer.alloc(2);
  length.writeUInt16LE(header.length);
  let state = 7;
  async function* chunks() {
    yield Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]), length, Buffer.from(header, 'latin1')]);
    const rowsPerChunk = 1024;
    for (let row = 0; row < rows; row += rowsPerChunk) {
      const values = new Float32Array(Math.min(rowsPerChunk, rows - row) * columns);
      for (let index = 0; index < values.length; index += 1) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        values[index] = state / 2 ** 31 - 1;
      }
      yield Buffer.from(values.buffer);
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(file));
}

/** A multipart body of fields and files for fetch, streamed. */
function formOf(parts: Parameters<typeof multipart>[0]): Pick<RequestInit, 'headers' | 'body'> & { duplex: 'half' } {
  const form = multipart(parts);
  return { headers: { 'content-type': form.contentType }, body: form.body as unknown as RequestInit['body'], duplex: 'half' };
}

/**
 * A Parquet file of `rows` rows, 9 columns, in row groups of 100,000. hyparquet-writer's default
 * pages are 1 MB, so each column chunk here is one page of 100,000 values; `pageSize` 160 KB gives
 * pages of ~20,000 rows with an offset index, as parquet-mr (Spark) writes them by default.
 */
function wideParquet(rows: number, pageSize?: number): Buffer {
  const columns = Array.from({ length: 8 }, (_, index) => ({
    name: `V${index + 1}`,
    data: Float64Array.from({ length: rows }, (_, row) => Math.sin(row * (index + 1))),
    type: 'DOUBLE' as const,
  }));
  return Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: 'TransactionID', data: Int32Array.from({ length: rows }, (_, row) => 2987000 + row), type: 'INT32' },
        ...columns,
      ],
      rowGroupSize: 100_000,
      ...(pageSize ? { pageSize } : {}),
    }),
  );
}

async function main() {
  // Without a server named, the tests' embedded Postgres starts for the benchmark too.
  const ownPostgres = !process.env.BENCH_DATABASE_URL && !process.env.TEST_DATABASE_URL;
  if (ownPostgres) await globalSetup();
  const adminUrl = (process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL) as string;
  const started = Date.now();
  // The API runs as the Docker image runs it: the production build (compiled JavaScript, no type
  // stripping at load, which alone holds ~30 MiB), with NODE_ENV=production.
  await promisify(execFile)(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
  });
  const s3Dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-s3-'));
  const s3 = spawnNode('bench/s3rver-process.ts', { S3RVER_DIR: s3Dir });
  const s3Config = JSON.parse((await firstMatch(s3.lines, /^\{.*\}$/))[0]) as {
    endpoint: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
  s3.discard();
  const databaseName = `xai_bench_${randomUUID().slice(0, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${databaseName}` }).toString();
  const db = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const apiEnv = {
    DATABASE_URL: databaseUrl,
    R2_ENDPOINT_URL: s3Config.endpoint,
    R2_ACCESS_KEY_ID: s3Config.accessKeyId,
    R2_SECRET_ACCESS_KEY: s3Config.secretAccessKey,
    R2_BUCKET_NAME: s3Config.bucket,
    S3_FORCE_PATH_STYLE: 'true',
    UPLOAD_PART_SIZE_BYTES: String(PART_SIZE),
    UPLOAD_QUEUE_SIZE: String(QUEUE_SIZE),
    MAX_DATASET_FILE_BYTES: String(8 * 1024 * MiB),
    RATE_LIMIT_REQUESTS_PER_MINUTE: '100000000',
    RATE_LIMIT_DOWNLOADS_PER_MINUTE: '100000000',
    RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
    // The 100-slow-uploads scenario measures the memory bound, not the admission caps.
    UPLOAD_CONCURRENCY: '1000',
    UPLOAD_CONCURRENCY_PER_CALLER: '1000',
    PORT: '0',
    NODE_ENV: 'production',
    // Extra settings for the API, to compare (e.g. BENCH_API_ENV='{"PROFILE_MAX_COLUMNS":"0"}').
    ...(JSON.parse(process.env.BENCH_API_ENV ?? '{}') as Record<string, string>),
  };
  // The API runs with the flags `npm start` and the Docker image use; BENCH_API_FLAGS overrides
  // them ('' for Node's defaults), to compare.
  const apiFlags = (process.env.BENCH_API_FLAGS ?? '--max-semi-space-size=2 --heap-growing-percent=30 --expose-gc')
    .split(' ')
    .filter(Boolean);
  const startApi = async (env: Record<string, string> = apiEnv, script = 'dist/routes/server.js') => {
    const api = spawnNode(script, env, apiFlags);
    const base = (await firstMatch(api.lines, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/))[1] as string;
    api.discard();
    return { ...api, base, pid: api.child.pid as number };
  };
  /** A second API process on the embedded default (a local folder and PGlite), with a dataset `bench`. */
  const startEmbeddedApi = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-embedded-'));
    const api = await startApi({
      DATA_DIR: dir,
      PORT: '0',
      NODE_ENV: 'production',
      MAX_DATASET_FILE_BYTES: String(8 * 1024 * MiB),
    });
    for (;;) {
      if ((await fetch(`${api.base}/ready`).catch(() => undefined))?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const created = new FormData();
    created.append('name', 'bench');
    await fetch(`${api.base}/datasets`, { method: 'POST', body: created });
    return {
      ...api,
      /** Stops it and removes its folder (once it has exited: PGlite writes there until then). */
      async stop() {
        const exited = new Promise((resolve) => api.child.once('exit', resolve));
        api.child.kill('SIGTERM');
        await exited;
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  };
  const s3Client = createS3Client({ ...s3Config, region: 'auto', forcePathStyle: true });

  try {
    const api = await startApi();
    // Idle: started, ready, a first request served, then left alone for two seconds.
    for (;;) {
      if ((await fetch(`${api.base}/ready`).catch(() => undefined))?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleMiB = await readRssMiB(api.pid);
    /** A peak of the API process's RSS, at most `above` MiB over its idle RSS (`label`: how `above` is made). */
    const peakRow = (scenario: string, peaks: number[], above = 64, label = String(above)): Row => ({
      scenario,
      measure: 'API process',
      runs: peaks,
      target: `≤ idle + ${label}`,
      met: median(peaks) <= idleMiB + above,
    });
    rows.push(belowRow('idle RSS (MiB)', 'API process, Postgres + S3, ready', [idleMiB], 100, true));
    await fetch(`${api.base}/datasets`, {
      method: 'POST',
      body: (() => {
        const form = new FormData();
        form.append('name', 'bench');
        return form;
      })(),
    });

    const uploadThroughApi = async (size: number, seed: string) => {
      const file = patternFile(size, seed);
      const form = multipart([{ name: 'file', filename: `${seed}.parquet`, file }]);
      const t0 = performance.now();
      const response = await sendForm(`${api.base}/datasets/bench/files`, form);
      const body = (await response.json()) as { files: Array<{ id: string; path: string; sha256: string }> };
      const seconds = (performance.now() - t0) / 1000;
      if (response.status !== 201) throw new Error(`upload answered ${response.status}: ${JSON.stringify(body)}`);
      const stored = body.files.find((item) => item.path === `${seed}.parquet`);
      if (stored?.sha256 !== file.sha256) throw new Error('uploaded bytes differ');
      return { seconds, fileId: stored.id };
    };
    const removeFile = (fileId: string) => fetch(`${api.base}/datasets/bench/files/${fileId}`, { method: 'DELETE' });

    // 1. Upload throughput, 1 GiB of unknown length: API vs lib-storage straight to the same S3 server.
    const oneGiBPeaks: number[] = [];
    if (want('uploads')) {
      const apiRates: number[] = [];
      const directRates: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        const key = `bench/direct-${run}.bin`;
        const file = patternFile(1024 * MiB, `direct-${run}`);
        const t0 = performance.now();
        await new Upload({
          client: s3Client,
          params: { Bucket: s3Config.bucket, Key: key, Body: Readable.from(file.chunks()) },
          partSize: PART_SIZE,
          queueSize: QUEUE_SIZE,
        }).done();
        directRates.push(1024 / ((performance.now() - t0) / 1000));
        await s3Client.send(new DeleteObjectCommand({ Bucket: s3Config.bucket, Key: key }));

        const { result, peakMiB } = await peakRss(api.pid, () => uploadThroughApi(1024 * MiB, `api-${run}`));
        apiRates.push(1024 / result.seconds);
        oneGiBPeaks.push(peakMiB);
        await removeFile(result.fileId);
      }
      rows.push(
        ratioRow(
          'upload 1 GiB (MiB/s)',
          'through the API',
          apiRates,
          { name: 'lib-storage direct to S3', runs: directRates },
          0.9,
        ),
      );

      rows.push(peakRow('peak RSS, one 1 GiB upload (MiB)', oneGiBPeaks));
    }

    // 1b. Direct uploads: the client sends parts to the S3 server with the API's presigned URLs
    // (4 in flight, the same part size), against lib-storage doing the same from the same file;
    // then the API's verification read-back against a plain GetObject stream of that object.
    if (want('direct')) {
      const size = Number(process.env.BENCH_DIRECT_MIB ?? 1024) * MiB;
      const source = path.join(os.tmpdir(), `bench-direct-${randomUUID()}.bin`);
      const file = patternFile(size, 'direct-source');
      await pipeline(Readable.from(file.chunks()), createWriteStream(source));
      const partRates: number[] = [];
      const libRates: number[] = [];
      const verifyRates: number[] = [];
      const getRates: number[] = [];
      const verifyPeaks: number[] = [];
      try {
        for (let run = 0; run < RUNS; run += 1) {
          const key = `bench/lib-${run}.bin`;
          let t0 = performance.now();
          await new Upload({
            client: s3Client,
            params: { Bucket: s3Config.bucket, Key: key, Body: createReadStream(source) },
            partSize: PART_SIZE,
            queueSize: QUEUE_SIZE,
          }).done();
          libRates.push(size / MiB / ((performance.now() - t0) / 1000));
          t0 = performance.now();
          const object = await s3Client.send(new GetObjectCommand({ Bucket: s3Config.bucket, Key: key }));
          for await (const _chunk of object.Body as AsyncIterable<Buffer>) {
            // drained, as the verifier reads it
          }
          getRates.push(size / MiB / ((performance.now() - t0) / 1000));
          await s3Client.send(new DeleteObjectCommand({ Bucket: s3Config.bucket, Key: key }));

          // The time the API accepts the completion splits the parts from the verification; the
          // database says when the session became ready (the client's polling backs off, so its
          // own view lags by up to its poll interval).
          let completedAt = 0;
          let sessionId = '';
          const timing: typeof fetch = async (input, init) => {
            const response = await fetch(input, init);
            if (String(input).endsWith('/complete')) completedAt = performance.now();
            return response;
          };
          let readyAt = 0;
          let verifyPeak = 0;
          let phase = 'parts' as 'parts' | 'verifying' | 'done';
          const watcher = (async () => {
            while (phase !== 'done') {
              if (completedAt > 0 && phase === 'parts') phase = 'verifying';
              if (phase === 'verifying') {
                verifyPeak = Math.max(verifyPeak, await readRssMiB(api.pid));
                const [row] = await db<Array<{ state: string }>>`select state from upload_sessions where id = ${sessionId}::uuid`;
                if (row?.state === 'ready' || row?.state === 'failed') {
                  readyAt ||= performance.now();
                }
              }
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
          })();
          const client = createArtifactClient({ baseUrl: api.base, fetch: timing });
          t0 = performance.now();
          const session = await client.uploadDirect(
            source,
            { type: 'dataset-file', dataset: 'bench', path: `direct-${run}.parquet` },
            {
              partSize: Math.max(PART_SIZE, 5 * MiB),
              concurrency: QUEUE_SIZE,
              partChecksums: false,
              onSession: (id) => {
                sessionId = id;
              },
            },
          );
          phase = 'done';
          await watcher;
          partRates.push(size / MiB / ((completedAt - t0) / 1000));
          verifyRates.push(size / MiB / ((readyAt - completedAt) / 1000));
          verifyPeaks.push(verifyPeak);
          const stored = (session.result as { files?: Array<{ id: string; path: string; sha256: string }> }).files?.find(
            (item) => item.path === `direct-${run}.parquet`,
          );
          if (stored?.sha256 !== file.sha256) throw new Error('directly uploaded bytes differ');
          await removeFile(stored.id);
        }
      } finally {
        await fs.rm(source, { force: true });
      }
      rows.push(
        ratioRow(
          `direct upload ${size / MiB} MiB, parts (MiB/s)`,
          'presigned part URLs from the API, open → complete',
          partRates,
          { name: 'lib-storage direct to S3', runs: libRates },
          0.95,
        ),
      );
      rows.push(
        ratioRow(
          `verification read-back ${size / MiB} MiB (MiB/s)`,
          'complete → ready (read, count, SHA-256, finalize)',
          verifyRates,
          { name: 'plain GetObject stream, drained', runs: getRates },
          0.9,
        ),
      );
      rows.push(peakRow(`peak RSS during the verification of ${size / MiB} MiB (MiB)`, verifyPeaks));
    }

    // 2. Memory: peak RSS of the API process; uploads share one budget of part buffers.
    if (want('memory')) {
      const budgetMiB = 128;
      // The 4 GiB upload is compared with a 1 GiB upload just before it, in the same process at
      // the same age: by now the process has run more of its code (direct uploads, verification)
      // than at the 1 GiB rows above, and its resident code and heap grew with it, not with uploads.
      const one = await peakRss(api.pid, () => uploadThroughApi(1024 * MiB, 'api-1g-before-4g'));
      await removeFile(one.result.fileId);
      rows.push(peakRow('peak RSS, one 1 GiB upload just before the 4 GiB (MiB)', [one.peakMiB]));
      const four = await peakRss(api.pid, () => uploadThroughApi(4096 * MiB, 'api-4g'));
      await removeFile(four.result.fileId);
      rows.push({
        scenario: 'peak RSS, one 4 GiB upload (MiB)',
        measure: 'API process',
        runs: [four.peakMiB],
        target: '≤ idle + 64, within 5% of the 1 GiB just before',
        met: four.peakMiB <= idleMiB + 64 && Math.abs(four.peakMiB - one.peakMiB) <= one.peakMiB * 0.05,
      });
      const eight = await peakRss(api.pid, () =>
        Promise.all(Array.from({ length: 8 }, (_, index) => uploadThroughApi(512 * MiB, `api-8x-${index}`))),
      );
      for (const item of eight.result) await removeFile(item.fileId);
      rows.push(
        peakRow('peak RSS, 8 concurrent 512 MiB uploads (MiB)', [eight.peakMiB], budgetMiB + 32, `budget (${budgetMiB}) + 32`),
      );
      // 100 slow uploads at once: 10 MiB each quickly, then nothing for 5 s, then the last 2 MiB.
      const slowUpload = async (index: number) => {
        const head = patternFile(10 * MiB, `slow-${index}`);
        const tail = Buffer.alloc(2 * MiB, 0x61);
        const body = (async function* () {
          yield Buffer.from(`--slowbench\r\nContent-Disposition: form-data; name="file"; filename="slow-${index}.csv"\r\n\r\n`);
          yield* head.chunks();
          await new Promise((resolve) => setTimeout(resolve, 5000));
          yield tail;
          yield Buffer.from('\r\n--slowbench--\r\n');
        })();
        const response = await fetch(`${api.base}/datasets/bench/files`, {
          method: 'POST',
          headers: { 'content-type': 'multipart/form-data; boundary=slowbench' },
          body: body as unknown as RequestInit['body'],
          duplex: 'half',
        } as RequestInit);
        const created = (await response.json()) as { files?: Array<{ id: string; path: string }> };
        if (response.status !== 201) throw new Error(`slow upload answered ${response.status}`);
        return created.files?.find((file) => file.path === `slow-${index}.csv`)?.id ?? '';
      };
      const hundred = await peakRss(api.pid, () => Promise.all(Array.from({ length: 100 }, (_, index) => slowUpload(index))));
      for (const fileId of hundred.result) await removeFile(fileId);
      rows.push(
        peakRow('peak RSS, 100 slow concurrent uploads (MiB)', [hundred.peakMiB], budgetMiB + 32, `budget (${budgetMiB}) + 32`),
      );

      // The embedded default: a second API process on a local folder and PGlite (in the
      // process), its own idle RSS, then one 1 GiB upload (the filesystem store frees each
      // chunk once written).
      const embedded = await startEmbeddedApi();
      try {
        // PGlite's start peaks at ~650 MiB for a few seconds (WASM compilation) before settling:
        // idle is when two samples a second apart agree within 1 MiB.
        let embeddedIdle = await readRssMiB(embedded.pid);
        for (let waited = 0; waited < 20_000; waited += 1000) {
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const now = await readRssMiB(embedded.pid);
          const settled = Math.abs(now - embeddedIdle) < 1;
          embeddedIdle = now;
          if (settled) break;
        }
        const file = patternFile(1024 * MiB, 'embedded-1g');
        const form = multipart([{ name: 'file', filename: 'embedded-1g.parquet', file }]);
        const sent = await peakRss(embedded.pid, async () => {
          const response = await sendForm(`${embedded.base}/datasets/bench/files`, form);
          const body = (await response.json()) as { files: Array<{ path: string; sha256: string }> };
          if (body.files?.find((item) => item.path === 'embedded-1g.parquet')?.sha256 !== file.sha256) {
            throw new Error(`embedded upload answered ${response.status}`);
          }
        });
        rows.push({
          scenario: 'peak RSS, one 1 GiB upload, embedded default (MiB)',
          measure: `API process on a local folder + PGlite, idle ${embeddedIdle.toFixed(0)} MiB`,
          runs: [sent.peakMiB],
          target: '≤ its idle + 64',
          met: sent.peakMiB <= embeddedIdle + 64,
        });
      } finally {
        await embedded.stop();
      }
    }

    // 2b. Profiles: a wide CSV (394 columns, like IEEE-CIS transactions) uploaded through the API
    // with profiling on and off (a second API process, PROFILE_MAX_COLUMNS=0), alternating; then
    // preview latency of that CSV and of a Parquet file, on the S3 server and on the embedded storage.
    if (want('profiles')) {
      const size = Number(process.env.BENCH_PROFILE_MIB ?? 512) * MiB;
      const csvPath = path.join(os.tmpdir(), `bench-wide-${randomUUID()}.csv`);
      const csvRows = await writeWideCsv(csvPath, size);
      const csvSize = (await fs.stat(csvPath)).size;
      const off = await startApi({ ...apiEnv, PROFILE_MAX_COLUMNS: '0' });
      const sendFile = async (base: string, dataset: string, name: string, filePath: string, mibPerSecond?: number) => {
        const form = multipart([
          {
            name: 'file',
            filename: name,
            file: {
              size: 0,
              sha256: '',
              chunks: async function* () {
                const started = performance.now();
                let sent = 0;
                for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
                  if (mibPerSecond) {
                    // An uplink of this speed: wait until the bytes sent so far are due.
                    const due = started + (sent / MiB / mibPerSecond) * 1000;
                    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
                  }
                  sent += chunk.length;
                  yield chunk;
                }
              },
              stream: () => createReadStream(filePath),
            },
          },
        ]);
        const t0 = performance.now();
        const response = await sendForm(`${base}/datasets/${dataset}/files`, form);
        const body = (await response.json()) as {
          files: Array<{ id: string; path: string; profile: { status: string; rows: number | null } }>;
        };
        if (response.status !== 201) throw new Error(`upload answered ${response.status}`);
        const file = body.files.find((item) => item.path === name);
        return { seconds: (performance.now() - t0) / 1000, fileId: file?.id ?? '', profile: file?.profile };
      };
      const onRates: number[] = [];
      const offRates: number[] = [];
      const coverage: number[] = [];
      let kept: { fileId: string } | undefined;
      try {
        for (let run = 0; run < RUNS; run += 1) {
          const withProfile = await sendFile(api.base, 'bench', `wide-on-${run}.csv`, csvPath);
          // `sampled` when profiling skipped ahead to keep up (every row still counted).
          if (!['complete', 'sampled'].includes(withProfile.profile?.status ?? '')) {
            throw new Error(`profile: ${JSON.stringify(withProfile.profile)}`);
          }
          onRates.push(csvSize / MiB / withProfile.seconds);
          // Profiling skips ahead rather than slow an upload (profile-feed.ts): how much it kept up.
          const full = (await (await fetch(`${api.base}/datasets/bench/files/${withProfile.fileId}/profile`)).json()) as {
            profile: { rows: number; profiledRows: number };
          };
          if (full.profile.rows !== csvRows) throw new Error(`profile rows ${full.profile.rows}, file rows ${csvRows}`);
          coverage.push(full.profile.profiledRows / full.profile.rows);
          const without = await sendFile(off.base, 'bench', `wide-off-${run}.csv`, csvPath);
          if (without.profile?.status !== 'none') throw new Error('profiling was not off');
          offRates.push(csvSize / MiB / without.seconds);
          await fetch(`${api.base}/datasets/bench/files/${without.fileId}`, { method: 'DELETE' });
          if (run === 0) kept = withProfile;
          else await fetch(`${api.base}/datasets/bench/files/${withProfile.fileId}`, { method: 'DELETE' });
        }
        // The same file at a fast uplink's speed: with CPU to spare, the profiler keeps up.
        const uplink = Number(process.env.BENCH_UPLINK_MIBS ?? 32);
        const paced = await sendFile(api.base, 'bench', 'wide-uplink.csv', csvPath, uplink);
        const pacedProfile = (await (await fetch(`${api.base}/datasets/bench/files/${paced.fileId}/profile`)).json()) as {
          profile: { rows: number; profiledRows: number };
        };
        await fetch(`${api.base}/datasets/bench/files/${paced.fileId}`, { method: 'DELETE' });
        rows.push({
          scenario: `rows profiled, the same CSV sent at ${uplink} MiB/s (%)`,
          measure: `profiledRows / rows (${pacedProfile.profile.profiledRows} / ${pacedProfile.profile.rows})`,
          runs: [(100 * pacedProfile.profile.profiledRows) / pacedProfile.profile.rows],
          target: '100 (an uplink the profiler keeps up with)',
          met: pacedProfile.profile.profiledRows === pacedProfile.profile.rows,
        });
        const msPerMiB = (1000 / median(onRates) - 1000 / median(offRates)) / 1;
        rows.push(
          ratioRow(
            `upload ${Math.round(csvSize / MiB)} MiB CSV, 394 columns (MiB/s)`,
            `through the API, profiling on (≈ ${fmt(Math.max(0, msPerMiB))} ms more per MiB; rows profiled: ${coverage.map((part) => `${Math.round(part * 100)} %`).join(', ')})`,
            onRates,
            { name: 'profiling off', runs: offRates },
            0.9,
          ),
        );

        const parquetPath = path.join(os.tmpdir(), `bench-${randomUUID()}.parquet`);
        const pagedPath = path.join(os.tmpdir(), `bench-${randomUUID()}-paged.parquet`);
        const parquetRows = Number(process.env.BENCH_PARQUET_ROWS ?? 2_000_000);
        await fs.writeFile(parquetPath, wideParquet(parquetRows));
        await fs.writeFile(pagedPath, wideParquet(parquetRows, 160_000));
        const previewLatency = async (base: string, dataset: string, fileId: string) => {
          const times: number[] = [];
          let bytesRead = 0;
          for (let index = 0; index < 21; index += 1) {
            const t0 = performance.now();
            const response = await fetch(`${base}/datasets/${dataset}/files/${fileId}/preview?rows=50`);
            const preview = (await response.json()) as { rows: unknown[]; bytesRead: number };
            if (response.status !== 200 || preview.rows.length !== 50) throw new Error(`preview answered ${response.status}`);
            times.push(performance.now() - t0);
            bytesRead = preview.bytesRead;
          }
          return { p50: median(times), bytesRead };
        };
        const embedded = await startEmbeddedApi();
        try {
          const parquetSize = (await fs.stat(parquetPath)).size;
          const pagedSize = (await fs.stat(pagedPath)).size;
          for (const [label, base] of [
            ['S3 server', api.base],
            ['embedded', embedded.base],
          ] as const) {
            const csvFile = base === api.base && kept ? kept : await sendFile(base, 'bench', 'wide-preview.csv', csvPath);
            const parquetFile = await sendFile(base, 'bench', 'wide-preview.parquet', parquetPath);
            const pagedFile = await sendFile(base, 'bench', 'wide-preview-paged.parquet', pagedPath);
            for (const [kind, fileId, bytes] of [
              ['CSV', csvFile.fileId, csvSize],
              ['Parquet (one 100,000-row page per chunk)', parquetFile.fileId, parquetSize],
              ['Parquet (20,000-row pages, offset index)', pagedFile.fileId, pagedSize],
            ] as const) {
              const { p50, bytesRead } = await previewLatency(base, 'bench', fileId);
              rows.push(
                belowRow(
                  `preview, 50 rows of a ${Math.round(bytes / MiB)} MiB ${kind} (ms)`,
                  `p50 of 21, ${label}; ${fmt(bytesRead / 1024)} KiB read from storage`,
                  [p50],
                  150,
                ),
              );
            }
          }
        } finally {
          await embedded.stop();
          await fs.rm(parquetPath, { force: true });
          await fs.rm(pagedPath, { force: true });
        }
      } finally {
        off.child.kill('SIGTERM');
        await fs.rm(csvPath, { force: true });
      }
    }

    // 2c. Importances: a SHAP matrix (.npy, float32, 400 features) uploaded as an explanation, its
    // importances computed in the upload pass, against the same bytes as a .pkl (stored as they
    // are), alternating; then the importances read back in one call.
    if (want('importances')) {
      const features = 400;
      const matrixRows = Math.floor((Number(process.env.BENCH_MATRIX_MIB ?? 256) * MiB) / (features * 4));
      const npyPath = path.join(os.tmpdir(), `bench-shap-${randomUUID()}.npy`);
      await writeNpyMatrix(npyPath, matrixRows, features);
      const npySize = (await fs.stat(npyPath)).size;
      const model = (await (
        await fetch(`${api.base}/models`, {
          method: 'POST',
          ...formOf([
            { name: 'dataset', value: 'bench' },
            { name: 'name', value: 'importances' },
            { name: 'file', filename: 'm.json', file: patternFile(2, 'model') },
          ]),
        } as RequestInit)
      ).json()) as { id: string };
      const explain = async (filename: string) => {
        const names = Array.from({ length: features }, (_, index) => `f${index}`).join(',');
        const t0 = performance.now();
        const response = await fetch(`${api.base}/explanations`, {
          method: 'POST',
          ...formOf([
            { name: 'model', value: model.id },
            { name: 'method', value: 'shap' },
            { name: 'features', value: names },
            {
              name: 'file',
              filename,
              file: {
                size: npySize,
                sha256: '',
                chunks: async function* () {
                  yield* createReadStream(npyPath, { highWaterMark: MiB }) as AsyncIterable<Buffer>;
                },
                stream: () => createReadStream(npyPath),
              },
            },
          ]),
        } as RequestInit);
        const body = (await response.json()) as { id: string; importances: { source: string | null; reason?: string } };
        if (response.status !== 201) throw new Error(`explanation upload answered ${response.status}: ${JSON.stringify(body)}`);
        return { seconds: (performance.now() - t0) / 1000, ...body };
      };
      const withRates: number[] = [];
      const withoutRates: number[] = [];
      let matrixId = '';
      try {
        for (let run = 0; run < RUNS; run += 1) {
          const computed = await explain('shap_values.npy');
          if (computed.importances.source !== 'matrix') throw new Error(`importances: ${JSON.stringify(computed.importances)}`);
          withRates.push(npySize / MiB / computed.seconds);
          matrixId = computed.id;
          const stored = await explain('shap_values.pkl');
          withoutRates.push(npySize / MiB / stored.seconds);
        }
        rows.push(
          ratioRow(
            `explanation upload, ${Math.round(npySize / MiB)} MiB .npy SHAP matrix, ${features} features (MiB/s)`,
            'importances computed in the upload pass',
            withRates,
            { name: 'the same bytes as a .pkl (no importances)', runs: withoutRates },
            0.9,
            '< 10 % of upload throughput',
          ),
        );
        const times: number[] = [];
        for (let index = 0; index < 21; index += 1) {
          const t0 = performance.now();
          const response = await fetch(`${api.base}/explanations/${matrixId}/importances?top=20`);
          if (response.status !== 200) throw new Error(`importances answered ${response.status}`);
          await response.arrayBuffer();
          times.push(performance.now() - t0);
        }
        rows.push(
          belowRow(
            `importances of that explanation, top 20 of ${features} (ms)`,
            'p50 of 21, GET /explanations/{id}/importances on Postgres',
            [median(times)],
            10,
          ),
        );
      } finally {
        await fs.rm(npyPath, { force: true });
      }
    }

    // 2d. One row's explanation at any depth: row 1 and row 1,000,000 of ~1 GiB SHAP matrices.
    if (want('rows')) rows.push(...(await benchExplanationRows({ api, startEmbeddedApi, median, fmt })));

    // 3. Download-URL rate: the API endpoint vs a bare route that only presigns with the SDK.
    const signer = spawnNode('bench/bare-signer.ts', { S3_CONFIG: JSON.stringify(s3Config) });
    const signerBase = (await firstMatch(signer.lines, /^(http:\/\/127\.0\.0\.1:\d+)$/))[1] as string;
    signer.discard();
    const cannon = async (url: string, connections: number, seconds: number) => {
      const result = await autocannon({ url, connections, duration: seconds });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
    };
    const requests = async (url: string, amount: number) => {
      const result = await autocannon({ url, connections: 32, amount });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    };
    if (want('links')) {
      const small = await uploadThroughApi(1024, 'small');
      const linkUrl = `${api.base}/datasets/bench/files/${small.fileId}/download`;
      const bareRates: number[] = [];
      const directRates: number[] = [];
      const endpointRates: number[] = [];
      const p99s: number[] = [];
      // Alternating runs, so that a slower minute of the shared machine weighs on both.
      for (let run = 0; run < RUNS; run += 1) {
        bareRates.push((await cannon(`${signerBase}/sign`, 32, RATE_SECONDS)).rps);
        directRates.push((await cannon(`${signerBase}/sign-direct`, 32, RATE_SECONDS)).rps);
        const endpoint = await cannon(linkUrl, 32, RATE_SECONDS);
        endpointRates.push(endpoint.rps);
        p99s.push(endpoint.p99);
      }
      rows.push(
        ratioRow(
          'download URLs, 32 connections (req/s)',
          'GET …/download on Postgres',
          endpointRates,
          { name: 'bare route presigning with the SDK', runs: bareRates },
          0.8,
        ),
      );
      rows.push({
        scenario: 'signing alone, 32 connections (req/s)',
        measure: 'bare route signing with S3LinkSigner',
        runs: directRates,
        baseline: { name: 'bare route presigning with the SDK', runs: bareRates },
        target: '— (what signing directly saves)',
        met: undefined,
      });
      rows.push(belowRow('download URLs, p99 latency (ms)', 'GET …/download, 32 connections', p99s, 25));
      // Memory under sustained link traffic: RSS after 10,000 requests, then after 100,000.
      await requests(linkUrl, 10_000);
      const after10k = await readRssMiB(api.pid);
      await requests(linkUrl, 90_000);
      const after100k = await readRssMiB(api.pid);
      rows.push(
        belowRow(
          'RSS growth over 100,000 link requests (MiB)',
          `after 100k (${fmt(after100k)}) − after 10k (${fmt(after10k)})`,
          [after100k - after10k],
          32,
          true,
        ),
      );
      await removeFile(small.fileId);
    }

    // 4. Listings: the frontend's two busiest reads at 32 connections, then depth with 100,000 models.
    if (want('listing')) {
      const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      // 20 datasets of two files each, 200 models with an auc: a first page like a real one.
      await sql`insert into datasets (id, owner_id, name, tags, state)
        select gen_random_uuid(), 'local', 'listed-' || n, array['credit', 'tabular'], 'ready' from generate_series(1, 20) n`;
      await sql`insert into files (id, dataset_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id)
        select gen_random_uuid(), d.id, 'local', 'raw/part-' || f || '.csv', 'datasets/' || d.name || '/' || gen_random_uuid() || '/part.csv',
               'text/csv', 1000, repeat('a', 64), 'ready', gen_random_uuid()
        from datasets d, generate_series(1, 2) f where d.name like 'listed-%'`;
      await insertModels(sql, { count: 200, names: 10, firstVersion: 0 });
      // Each listed dataset's files are its version 1, as an upload makes them.
      await sql`update files set since_version = 1 from datasets d where d.id = files.dataset_id and d.name like 'listed-%'`;
      await sql`select xai_record_dataset_version(id, 1, 'local') from datasets where name like 'listed-%'`;
      // A dataset of 50 versions (one file each on top of the ones before), the last of 20 files.
      await sql`insert into datasets (id, owner_id, name, state) values (gen_random_uuid(), 'local', 'versioned', 'ready')`;
      for (let version = 1; version <= 50; version += 1) {
        await sql`insert into files (id, dataset_id, owner_id, path, object_key, content_type, size, sha256, state, batch_id, since_version, until_version)
          select gen_random_uuid(), d.id, 'local', 'part-' || ${version} || '.csv', 'datasets/versioned/' || gen_random_uuid() || '/part.csv',
                 'text/csv', 1000, repeat('a', 64), 'ready', gen_random_uuid(), ${version}, case when ${version} <= 30 then 31 end
          from datasets d where d.name = 'versioned'`;
        await sql`select xai_record_dataset_version(id, ${version}, 'local') from datasets where name = 'versioned'`;
      }
      await sql`analyze`;
      const bareList = await cannon(`${signerBase}/sign`, 32, RATE_SECONDS);
      const datasets = await cannon(`${api.base}/datasets?limit=20`, 32, RATE_SECONDS);
      const byMetric = await cannon(`${api.base}/models?limit=20&sort=metrics.auc`, 32, RATE_SECONDS);
      const versions = await cannon(`${api.base}/datasets/versioned/versions?limit=20`, 32, RATE_SECONDS);
      const snapshot = await cannon(`${api.base}/datasets/versioned/versions/latest?links=true`, 32, RATE_SECONDS);
      for (const [label, result] of [
        ['GET /datasets?limit=20 (20 datasets, 2 files each)', datasets],
        ['GET /models?sort=metrics.auc&limit=20 (200 models)', byMetric],
        ['GET /datasets/{d}/versions?limit=20 (50 versions)', versions],
        ['GET /datasets/{d}/versions/latest?links=true (20 files, 20 links)', snapshot],
      ] as const) {
        rows.push(
          ratioRow(
            'listing, 32 connections (req/s)',
            label,
            [result.rps],
            { name: 'bare route presigning with the SDK', runs: [bareList.rps] },
            0.5,
          ),
        );
        rows.push(belowRow('listing, p99 latency (ms)', label, [result.p99], 40));
      }

      // With 100,000 models: the first page vs a page 50,000 rows deep.
      await insertModels(sql, { count: 100_000, names: 100, firstVersion: 1000 });
      await sql`analyze models`;
      await sql`analyze files`;
      const [deep] = await sql<
        { created_at: string; id: string }[]
      >`select xai_ts(created_at) as created_at, id::text from models order by created_at desc, id desc offset 50000 limit 1`;
      await sql.end();
      const cursor = encodeCursor({ createdAt: deep?.created_at ?? '', id: deep?.id ?? '', sort: 'createdAt:desc', value: null });
      const first = await cannon(`${api.base}/models?limit=20`, 1, 5);
      const deepPage = await cannon(`${api.base}/models?limit=20&cursor=${cursor}`, 1, 5);
      rows.push({
        scenario: 'GET /models, 100k rows: p50 (ms)',
        measure: 'page 50,000 rows deep',
        runs: [deepPage.p50],
        baseline: { name: 'first page', runs: [first.p50] },
        target: 'deep ≤ 1.5 × first, both < 10',
        met: deepPage.p50 <= Math.max(first.p50 * 1.5, 1) && first.p50 < 10 && deepPage.p50 < 10,
      });
    }
    // 4c. Soak: ten minutes of mixed load on an API process of its own (bench/soak.ts).
    if (want('soak')) rows.push(...(await benchSoak({ adminUrl, startApi, apiEnv, log: (line) => console.log(line) })));

    // 4b. A million files: its own database and API process (bench/million.ts).
    if (want('million')) {
      rows.push(...(await benchMillion({ adminUrl, startApi, apiEnv, median, log: (line) => console.log(line) })));
    }
    const exited = (child: ChildProcess) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once('exit', resolve));
    api.child.kill('SIGTERM');
    signer.child.kill('SIGTERM');
    await Promise.all([exited(api.child), exited(signer.child)]);

    // 5. Cold start: process start to /ready answering 200, of the production build (what the
    //    Docker image runs: compiled JavaScript, no type stripping at load, NODE_ENV=production).
    if (want('coldstart')) {
      const coldStart = async (env: Record<string, string>) => {
        await untilQuiet();
        const t0 = performance.now();
        const started = await startApi({ ...env, NODE_ENV: 'production' }, 'dist/routes/server.js');
        for (;;) {
          const ready = await fetch(`${started.base}/ready`).catch(() => undefined);
          if (ready?.status === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const ms = performance.now() - t0;
        started.child.kill('SIGTERM');
        await new Promise((resolve) => started.child.once('exit', resolve));
        return ms;
      };
      const embeddedDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-embedded-'));
      const firstEmbedded = await coldStart({ DATA_DIR: embeddedDir, PORT: '0' });
      const embedded: number[] = [];
      const postgresS3: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        embedded.push(await coldStart({ DATA_DIR: embeddedDir, PORT: '0' }));
        postgresS3.push(await coldStart(apiEnv));
      }
      await fs.rm(embeddedDir, { recursive: true, force: true });
      rows.push(belowRow('cold start to /ready (ms)', 'Postgres + S3', postgresS3, 1500));
      rows.push(belowRow('cold start to /ready (ms)', 'embedded, existing DATA_DIR', embedded, 1500));
      rows.push(
        belowRow('cold start to /ready (ms)', 'embedded, first start (creates the PGlite database)', [firstEmbedded], 1500),
      );
    }
  } finally {
    s3Client.destroy();
    for (const child of children) child.kill('SIGTERM');
    await db.end();
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`).catch(() => undefined);
    await admin.end();
    await fs.rm(s3Dir, { recursive: true, force: true });
    if (ownPostgres) await globalTeardown();
  }

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    partSizeMiB: PART_SIZE / MiB,
    queueSize: QUEUE_SIZE,
    runs: RUNS,
  };
  const table = [
    '| scenario | measure | median | min | max | baseline (median) | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const value = median(row.runs);
      const base = row.baseline ? median(row.baseline.runs) : undefined;
      return `| ${row.scenario} | ${row.measure} | ${fmt(value)} | ${fmt(Math.min(...row.runs))} | ${fmt(Math.max(...row.runs))} | ${
        row.baseline ? `${row.baseline.name}: ${fmt(base ?? 0)}` : '—'
      } | ${base ? (value / base).toFixed(2) : '—'} | ${row.target} | ${row.met === undefined ? '—' : row.met ? 'yes' : '**no**'} |`;
    }),
  ].join('\n');
  const summary = `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}; part size ${machine.partSizeMiB} MiB, queue ${machine.queueSize}, ${RUNS} runs; took ${Math.round((Date.now() - started) / 1000)} s.`;
  process.stdout.write(`\n${summary}\n\n${table}\n`);
  await fs.mkdir(path.join(root, 'bench', 'results'), { recursive: true });
  await fs.writeFile(
    path.join(root, 'bench', 'results', 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`,
  );
}

await main().catch((error: unknown) => {
  for (const child of children) child.kill('SIGKILL');
  console.error(error);
  process.exit(1);
});
process.exit(0);
