/**
 * `BENCH_ONLY=soak`: ten minutes of mixed load (`BENCH_SOAK_SECONDS`, 600) against an API process
 * of its own on Postgres + the S3 test server (#33): proxied uploads of 1–64 MiB and direct
 * uploads of 8–40 MiB, each into a dataset of its own, most deleted again with their dataset,
 * listings, download links, previews, deletes, and direct uploads abandoned after their first
 * part (one in four), as a client that vanished. Measured: answers
 * of 500 or more (target none), the API's RSS growth from minute 2 to the end (target ≤ 16 MiB),
 * and, once the load stopped and the abandoned sessions expired, what the reconciler's dry run
 * finds (target: no object without its row, no row without its object).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import postgres from 'postgres';
import { createArtifactClient } from '../client/index.ts';
import { createS3Client } from '../src/storage/s3-client.ts';
import { patternFile } from '../test/support/data.ts';
import { multipart, sendForm } from '../test/support/multipart.ts';

const MiB = 1024 * 1024;

export interface SoakRow {
  scenario: string;
  measure: string;
  runs: number[];
  target: string;
  met: boolean | undefined;
}

interface Counts {
  requests: number;
  errors5xx: number;
  /** Requests that got no answer (the connection failed): each is looked at, not assumed harmless. */
  noAnswer: number;
  failures: string[];
  byKind: Record<string, number>;
}

const readRssMiB = async (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** A pseudo-random source with a seed, so two soaks send the same mix. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export async function benchSoak(context: {
  adminUrl: string;
  startApi: (env: Record<string, string>) => Promise<{ base: string; pid: number; child: ChildProcess }>;
  apiEnv: Record<string, string>;
  log: (line: string) => void;
}): Promise<SoakRow[]> {
  const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
  const ttlSeconds = 30;
  const name = `xai_bench_soak_${process.pid}`;
  const admin = postgres(context.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const databaseUrl = Object.assign(new URL(context.adminUrl), { pathname: `/${name}` }).toString();
  // A bucket of its own too: the reconciler's check compares this database's rows with the
  // bucket's objects, and the sections before leave objects whose rows are in another database
  // (a full run's soak counted those 139 as orphans).
  const bucket = `xai-soak-${process.pid}`;
  const s3 = createS3Client({
    endpoint: context.apiEnv.R2_ENDPOINT_URL as string,
    region: 'auto',
    forcePathStyle: true,
    accessKeyId: context.apiEnv.R2_ACCESS_KEY_ID as string,
    secretAccessKey: context.apiEnv.R2_SECRET_ACCESS_KEY as string,
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  const api = await context.startApi({
    ...context.apiEnv,
    DATABASE_URL: databaseUrl,
    R2_BUCKET_NAME: bucket,
    // Abandoned direct uploads expire within the soak, so the reconciler can account for them.
    UPLOAD_SESSION_TTL: String(ttlSeconds),
    // Abandoned sessions count against their caller until they expire: room for them and the rest.
    UPLOAD_SESSIONS_PER_CALLER: '1000',
  });
  const base = api.base;
  // The API's own account of what it answered (its response logs) and what it warned about.
  const answered: Record<string, number> = {};
  const warnings: string[] = [];
  let partial = '';
  api.child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const status = /"statusCode":(\d{3})/.exec(line)?.[1];
      if (status && line.includes('"responseTime"')) answered[status] = (answered[status] ?? 0) + 1;
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level >= 40 && warnings.length < 12) warnings.push(line.slice(0, 400));
    }
  });
  const counts: Counts = { requests: 0, errors5xx: 0, noAnswer: 0, failures: [], byKind: {} };
  const note = async (kind: string, response: Response) => {
    counts.requests += 1;
    const key = `${kind} ${response.status}`;
    counts.byKind[key] = (counts.byKind[key] ?? 0) + 1;
    if (response.status >= 500) {
      counts.errors5xx += 1;
      if (counts.failures.length < 10) counts.failures.push(`${kind}: ${response.status} ${await response.text()}`);
    } else await response.arrayBuffer().catch(() => undefined);
    return response;
  };
  const client = createArtifactClient({ baseUrl: base });
  const created = new FormData();
  created.append('name', 'soak');
  created.append('file', new Blob(['age,amount,label\n35,1169,0\n22,5951,1\n']), 'seed.csv');
  await note('create', await fetch(`${base}/datasets`, { method: 'POST', body: created }));
  const seed = ((await (await fetch(`${base}/datasets/soak`)).json()) as { files: Array<{ id: string }> }).files[0]?.id;
  if (!seed) throw new Error('soak: no seed file');

  // Uploaded files left for the links and deletes, by dataset. Each upload goes into a dataset of
  // its own, and a delete removes that whole dataset: deleting a file only makes a new version
  // without it (the versions before still hold its object), so file deletes free no disk, and
  // ten minutes of uploads kept filled it (~50 GB). A dataset's deletion removes its objects.
  const kept: Array<{ dataset: string; id: string }> = [];
  let serial = 0;
  const deadline = Date.now() + seconds * 1000;
  const samples: Array<{ at: number; rss: number }> = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    void readRssMiB(api.pid).then((rss) => samples.push({ at: (Date.now() - started) / 1000, rss }));
  }, 5000);

  /** Most uploads go again with their dataset (the disk is bounded); a few stay for links and deletes. */
  const keepOrDelete = async (next: () => number, dataset: string, stored: unknown, path: string) => {
    const file = (stored as { files?: Array<{ id: string; path: string }> } | undefined)?.files?.find(
      (entry) => entry.path === path,
    );
    if (file && next() >= 0.8) kept.push({ dataset, id: file.id });
    else await note('delete', await fetch(`${base}/datasets/${dataset}`, { method: 'DELETE' }));
  };
  const proxied = async (next: () => number) => {
    const size = Math.floor(1 + next() * 63) * MiB;
    const dataset = `soak-up-${serial++}`;
    const path = 'up.gz';
    const form = multipart([
      { name: 'name', value: dataset },
      { name: 'file', filename: path, file: patternFile(size) },
    ]);
    const response = await sendForm(`${base}/datasets`, form);
    await note('upload', response.clone());
    if (response.status !== 201) return;
    await keepOrDelete(next, dataset, await response.json(), path);
  };
  const direct = async (next: () => number) => {
    const size = Math.floor(8 + next() * 32) * MiB;
    const path = `direct/${serial++}.gz`;
    const bytes = new Uint8Array(size).fill(serial % 251);
    if (next() < 0.25) {
      // A client that vanishes after its first part: the session stays open until it expires.
      const opened = await fetch(`${base}/uploads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: { type: 'dataset-file', dataset: 'soak', path }, size, partSize: 8 * MiB }),
      });
      await note('direct-open', opened.clone());
      if (opened.status !== 201) return;
      const session = (await opened.json()) as { parts?: Array<{ url: string; headers?: Record<string, string> }> };
      const part = session.parts?.[0];
      if (!part) return;
      const url = part.url.startsWith('/') ? `${base}${part.url}` : part.url;
      await fetch(url, { method: 'PUT', body: bytes.subarray(0, 8 * MiB), headers: part.headers ?? {} }).catch(() => undefined);
      return;
    }
    const dataset = `soak-direct-${serial}`;
    const form = new FormData();
    form.append('name', dataset);
    const made = await fetch(`${base}/datasets`, { method: 'POST', body: form });
    await note('create', made.clone());
    if (made.status !== 201) return;
    try {
      const session = await client.uploadDirect(new Blob([bytes]), { type: 'dataset-file', dataset, path });
      counts.requests += 1;
      counts.byKind['direct ready'] = (counts.byKind['direct ready'] ?? 0) + 1;
      await keepOrDelete(next, dataset, session.result, path);
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      counts.requests += 1;
      counts.byKind[`direct ${status}`] = (counts.byKind[`direct ${status}`] ?? 0) + 1;
      if (status >= 500 || status === 0) {
        counts.errors5xx += 1;
        if (counts.failures.length < 10) counts.failures.push(`direct: ${String(error)}`);
      }
    }
  };
  const worker = async (index: number) => {
    const next = random(1000 + index);
    while (Date.now() < deadline) {
      try {
        await step(next);
      } catch (error) {
        counts.requests += 1;
        counts.noAnswer += 1;
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
        if (counts.failures.length < 10) counts.failures.push(`no answer: ${cause}`);
      }
    }
  };
  // BENCH_SOAK_MIX: all (default), or one part of the load alone (uploads, direct, reads) to
  // tell which part a growth comes with.
  const mix = process.env.BENCH_SOAK_MIX ?? 'all';
  const step = async (next: () => number) => {
    {
      const pick = mix === 'uploads' ? 0.1 : mix === 'direct' ? 0.85 : mix === 'reads' ? 0.2 + next() * 0.6 : next();
      if (pick < 0.2) await proxied(next);
      else if (pick < 0.45) {
        await note('list', await fetch(`${base}/datasets?limit=20`));
        await note('list', await fetch(`${base}/datasets/soak/versions?limit=20`));
      } else if (pick < 0.65) {
        const file = kept[Math.floor(next() * kept.length)] ?? { dataset: 'soak', id: seed };
        await note('link', await fetch(`${base}/datasets/${file.dataset}/files/${file.id}/download`));
      } else if (pick < 0.8) await note('preview', await fetch(`${base}/datasets/soak/files/${seed}/preview?rows=20`));
      else if (pick < 0.9) await direct(next);
      else {
        const file = kept.pop();
        if (file) await note('delete', await fetch(`${base}/datasets/${file.dataset}`, { method: 'DELETE' }));
        else await note('get', await fetch(`${base}/datasets/soak`));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, (_, index) => worker(index)));
    if (api.child.exitCode !== null || api.child.signalCode !== null) {
      throw new Error(`soak: the API process ended during the load (${api.child.exitCode ?? api.child.signalCode})`);
    }
    clearInterval(sampler);
    // The abandoned sessions expire; the reconciler then sees what is left.
    await new Promise((resolve) => setTimeout(resolve, (ttlSeconds + 5) * 1000));
    const report = (await (
      await fetch(`${base}/operations/reconcile`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dryRun: true, olderThan: '0s' }),
      })
    ).json()) as Record<string, unknown[]>;
    const orphans = report.orphanObjects?.length ?? -1;
    const missing = report.missingObjects?.length ?? -1;
    // The median of a minute's samples (every 5 s): the load comes in bursts (a 64 MiB upload
    // holds part buffers for a second or two), and a single sample would measure the burst.
    const minuteEndingAt = (at: number) => {
      const near = samples.filter((sample) => sample.at > at - 60 && sample.at <= at).map((sample) => sample.rss);
      return near.length ? (near.sort((a, b) => a - b)[Math.floor(near.length / 2)] as number) : Number.NaN;
    };
    const from = Math.min(120, seconds / 5);
    const growth = minuteEndingAt(seconds) - minuteEndingAt(from);
    context.log(
      `soak: ${counts.requests} requests (${JSON.stringify(counts.byKind)}); the API answered ${JSON.stringify(answered)}; warnings: ${warnings.join(' || ')}; reconcile dry run: ${JSON.stringify(
        Object.fromEntries(Object.entries(report).map(([key, value]) => [key, Array.isArray(value) ? value.length : value])),
      )}${counts.failures.length ? `; 5xx: ${counts.failures.join(' | ')}` : ''}`,
    );
    return [
      {
        scenario: `soak, ${Math.round(seconds / 60)} min of mixed load: answers ≥ 500`,
        measure: `of ${counts.requests} requests and uploads (${counts.noAnswer} got no answer: a refusal the server sent while the body was still being written, or worse; see the log)`,
        runs: [counts.errors5xx],
        target: '0',
        met: counts.errors5xx === 0,
      },
      {
        scenario: 'soak: API RSS growth (MiB)',
        measure: `median of minute ${Math.round(from / 60)} (${minuteEndingAt(from).toFixed(0)} MiB) to that of the last (${minuteEndingAt(seconds).toFixed(0)} MiB)`,
        runs: [growth],
        target: '≤ 16',
        met: growth <= 16,
      },
      {
        scenario: 'soak: objects without rows, rows without objects, after it',
        measure: `the reconciler's dry run once the abandoned sessions expired (${report.expiredUploads?.length ?? 0} to abort, ${report.staleUploads?.length ?? 0} stale multipart uploads, ${report.stalePendingRows?.length ?? 0} stale pending rows)`,
        runs: [orphans + missing],
        target: '0',
        met: orphans === 0 && missing === 0,
      },
    ];
  } finally {
    clearInterval(sampler);
    const exited = new Promise((resolve) => api.child.once('exit', resolve));
    api.child.kill('SIGTERM');
    await exited;
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
}
