/**
 * Load, against the real process on s3rver + Postgres: 16 concurrent 64 MiB uploads while a
 * steady stream of list and download-URL requests runs for 60 s (LOAD_TEST_SECONDS). No 5xx,
 * every upload verified by SHA-256 through its download URL. The API process's peak RSS is
 * reported as a diagnostic (the benchmark suite owns the memory figures, not this test).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { digestResponse, patternFile } from './support/data.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';
import { startServerProcess } from './support/server-process.ts';
import { s3AndPostgres } from './support/test-stack.ts';

const MiB = 1024 * 1024;
const SECONDS = Number(process.env.LOAD_TEST_SECONDS ?? 60);
const UPLOADS = 16;

test(`load: ${UPLOADS} concurrent 64 MiB uploads with list and download-URL traffic for ${SECONDS} s`, {
  skip: postgresSkipReason,
}, async (t) => {
  const { env } = await s3AndPostgres(t);
  const server = startServerProcess(
    {
      ...env,
      PORT: '0',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000',
      RATE_LIMIT_DOWNLOADS_PER_MINUTE: '1000000',
      RATE_LIMIT_UPLOADS_PER_MINUTE: '1000',
    },
    t,
  );
  const base = await server.listening();
  const child = server.child;

  const seed = await upload(`${base}/datasets`, [
    { name: 'name', value: 'seed' },
    { name: 'file', filename: 'seed.csv', file: patternFile(1024, 'seed') },
  ]);
  const seeded = (await seed.json()) as { id: string; files: Array<{ id: string }> };
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

  const deadline = Date.now() + SECONDS * 1000;
  let uploadsDone = false;
  const traffic = Array.from({ length: 4 }, async (_, worker) => {
    for (let i = 0; Date.now() < deadline || !uploadsDone; i += 1) {
      const target =
        (i + worker) % 2 === 0
          ? `${base}/datasets?limit=20`
          : `${base}/datasets/${seeded.id}/files/${seeded.files[0]?.id}/download`;
      const response = await fetch(target);
      count(response.status);
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  const files = Array.from({ length: UPLOADS }, (_, index) => patternFile(64 * MiB, `load-${index}`));
  const uploads = files.map(async (file, index) => {
    const response = await upload(`${base}/datasets`, [
      { name: 'name', value: `load-${index}` },
      { name: 'file', filename: 'train.parquet', file },
    ]);
    count(response.status);
    assert.equal(response.status, 201, await response.clone().text());
    const dataset = (await response.json()) as { id: string; files: Array<{ id: string; sha256: string }> };
    assert.equal(dataset.files[0]?.sha256, file.sha256);
    const link = (await (await fetch(`${base}/datasets/${dataset.id}/files/${dataset.files[0]?.id}/download`)).json()) as {
      url: string;
    };
    assert.equal((await digestResponse(await fetch(link.url))).sha256, file.sha256, `upload ${index} verified by SHA-256`);
  });
  const started = Date.now();
  await Promise.all(uploads);
  const uploadSeconds = (Date.now() - started) / 1000;
  uploadsDone = true;
  await Promise.all(traffic);

  const status = await fs.readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const peak = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  const summary = Object.fromEntries([...statuses.entries()].sort());
  t.diagnostic(
    `statuses ${JSON.stringify(summary)}; ${UPLOADS} uploads took ${uploadSeconds.toFixed(1)} s; API peak RSS ${peak ? `${Math.round(Number(peak) / 1024)} MiB` : 'unknown'}`,
  );
  assert.equal([...statuses.keys()].filter((code) => code >= 500).length, 0, `no 5xx: ${JSON.stringify(summary)}`);
  assert.equal(statuses.get(201), UPLOADS);
  assert.ok((statuses.get(200) ?? 0) > 100, 'the steady stream kept flowing');
});
