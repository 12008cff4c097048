/**
 * `BENCH_ONLY=rows`: one row's explanation at any depth (#31). A SHAP matrix just under 1 GiB (the
 * default explanation file limit) as CSV and as Parquet (1,050,000 rows, as many float64 features
 * as fit, pages with an offset index as hyparquet-writer writes them), each uploaded as an explanation to the API on the S3 server and to the embedded
 * one; then row 1 and row 1,000,000 read 21 times each (p50, bytes read from storage reported).
 * Also what computing importances costs the upload: the same bytes uploaded as a .pkl (stored as
 * they are), on the S3 server.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { multipart, sendForm } from '../test/support/multipart.ts';
import { belowRow, type Row, ratioRow } from './rows.ts';

const MiB = 1024 * 1024;

interface Api {
  base: string;
}

const ROWS = 1_050_000;
/** A value of feature `column` at `row`: pseudo-random in (-1, 1), the same in both files. */
const valueAt = (row: number, column: number) => {
  const state = (Math.imul(row * 131 + column, 2654435761) >>> 0) / 2 ** 32;
  return Math.round((state * 2 - 1) * 1e5) / 1e5;
};

async function writeShapCsv(file: string, rows: number, features: number): Promise<void> {
  const names = Array.from({ length: features }, (_, column) => `f${column}`);
  async function* chunks() {
    yield `${names.join(',')},base_value\n`;
    for (let row = 0; row < rows; row += 2048) {
      const lines: string[] = [];
      for (let at = row; at < Math.min(rows, row + 2048); at += 1) {
        const values = new Array<number>(features + 1);
        for (let column = 0; column < features; column += 1) values[column] = valueAt(at, column);
        values[features] = 0.5;
        lines.push(values.join(','));
      }
      yield `${lines.join('\n')}\n`;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(file));
}

/** Row groups of `group` rows written one at a time (the whole matrix is never in memory). */
function writeShapParquet(file: string, rows: number, features: number, group: number): void {
  const columns = (start: number, count: number) =>
    Array.from({ length: features + 1 }, (_, column) => ({
      name: column < features ? `f${column}` : 'base_value',
      data: Float64Array.from({ length: count }, (_, at) => (column < features ? valueAt(start + at, column) : 0.5)),
      type: 'DOUBLE' as const,
      nullable: false,
      statistics: false,
    }));
  const schema = [
    { name: 'root', num_children: features + 1 },
    ...columns(0, 1).map((column) => ({ name: column.name, type: 'DOUBLE' as const, repetition_type: 'REQUIRED' as const })),
  ];
  const writer = new ParquetWriter({ writer: fileWriter(file), schema, codec: 'UNCOMPRESSED', statistics: false });
  for (let start = 0; start < rows; start += group) {
    const count = Math.min(group, rows - start);
    writer.write({
      columnData: columns(start, count).map(({ type: _type, nullable: _nullable, ...column }) => column),
      rowGroupSize: group,
      pageSize: 64 * 1024,
    });
  }
  writer.finish();
}

async function upload(base: string, fields: Array<{ name: string; value: string }>, filename: string, filePath: string) {
  const size = (await fs.stat(filePath)).size;
  const form = multipart([
    ...fields,
    {
      name: 'file',
      filename,
      file: {
        size,
        sha256: '',
        chunks: async function* () {
          yield* createReadStream(filePath, { highWaterMark: MiB }) as AsyncIterable<Buffer>;
        },
        stream: () => createReadStream(filePath),
      },
    },
  ]);
  const t0 = performance.now();
  const response = await sendForm(`${base}/explanations`, form);
  const body = (await response.json()) as { id: string; importances: { source: string | null; reason?: string } };
  if (response.status !== 201) throw new Error(`explanation upload answered ${response.status}: ${JSON.stringify(body)}`);
  return { ...body, mibPerSecond: size / MiB / ((performance.now() - t0) / 1000) };
}

async function modelOn(base: string): Promise<string> {
  const form = new FormData();
  form.append('dataset', 'bench');
  form.append('name', 'rows');
  form.append('file', new Blob(['{}']), 'm.json');
  const response = await fetch(`${base}/models`, { method: 'POST', body: form });
  if (response.status !== 201) throw new Error(`model upload answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

async function rowLatency(base: string, id: string, index: number, median: (values: number[]) => number) {
  const times: number[] = [];
  let bytesRead = 0;
  for (let run = 0; run < 21; run += 1) {
    const t0 = performance.now();
    const response = await fetch(`${base}/explanations/${id}/rows/${index}`);
    const row = (await response.json()) as { values: Record<string, number>; bytesRead: number };
    times.push(performance.now() - t0);
    if (response.status !== 200) throw new Error(`row ${index} answered ${response.status}: ${JSON.stringify(row)}`);
    if (row.values.f7 !== valueAt(index, 7)) throw new Error(`row ${index}: f7 is ${row.values.f7}, not ${valueAt(index, 7)}`);
    bytesRead = row.bytesRead;
  }
  return { p50: median(times), bytesRead };
}

export async function benchExplanationRows(context: {
  api: Api;
  startEmbeddedApi: () => Promise<Api & { stop(): Promise<void> }>;
  median: (values: number[]) => number;
  fmt: (value: number) => string;
}): Promise<Row[]> {
  const { api, median, fmt } = context;
  const results: Row[] = [];
  // Values print as up to 8 characters and a separator (~8.4 bytes on average); a double is 8.
  const budget = Number(process.env.BENCH_ROWS_MIB ?? 1000) * MiB;
  const csvFeatures = Math.floor(budget / ROWS / 8.6) - 1;
  const parquetFeatures = Math.floor(budget / ROWS / 8) - 2;
  const csvPath = path.join(os.tmpdir(), `bench-shap-rows-${process.pid}.csv`);
  const parquetPath = path.join(os.tmpdir(), `bench-shap-rows-${process.pid}.parquet`);
  const smallGroupsPath = path.join(os.tmpdir(), `bench-shap-rows-${process.pid}-small-groups.parquet`);
  const embedded = await context.startEmbeddedApi();
  try {
    await writeShapCsv(csvPath, ROWS, csvFeatures);
    writeShapParquet(parquetPath, ROWS, parquetFeatures, 131_072);
    writeShapParquet(smallGroupsPath, ROWS, parquetFeatures, 16_384);
    const files = [
      ['CSV', 'shap_values.csv', csvPath, csvFeatures],
      ['Parquet (131,072-row groups, 64 KiB pages)', 'shap_values.parquet', parquetPath, parquetFeatures],
      ['Parquet (16,384-row groups, 64 KiB pages)', 'shap_small_groups.parquet', smallGroupsPath, parquetFeatures],
    ] as const;
    for (const [label, base] of [
      ['S3 server', api.base],
      ['embedded', embedded.base],
    ] as const) {
      const model = await modelOn(base);
      for (const [kind, filename, filePath, features] of files) {
        const fields = [
          { name: 'model', value: model },
          { name: 'method', value: 'shap' },
        ];
        const explanation = await upload(base, fields, filename, filePath);
        if (explanation.importances.source !== 'matrix') {
          throw new Error(`${kind} importances: ${JSON.stringify(explanation.importances)}`);
        }
        const size = (await fs.stat(filePath)).size;
        if (base === api.base && !filename.includes('small')) {
          // The same bytes stored as they are: what the importances cost the upload.
          const stored = await upload(base, fields, filename.replace(/\.\w+$/, '.pkl'), filePath);
          results.push(
            ratioRow(
              `explanation upload, ${Math.round(size / MiB)} MiB ${kind} SHAP matrix, ${features} features (MiB/s)`,
              `importances computed${kind === 'CSV' ? ' in the upload pass' : ' (the stored file read once more, column by column)'}`,
              [explanation.mibPerSecond],
              { name: 'the same bytes as a .pkl (no importances)', runs: [stored.mibPerSecond] },
              0.9,
              '< 10 % of upload throughput',
            ),
          );
        }
        for (const index of [1, 1_000_000]) {
          const { p50, bytesRead } = await rowLatency(base, explanation.id, index, median);
          results.push(
            belowRow(
              `row ${index.toLocaleString('en')} of a ${Math.round(size / MiB)} MiB SHAP ${kind} (ms)`,
              `p50 of 21, GET /explanations/{id}/rows/{index}, ${label}; ${fmt(bytesRead / 1024)} KiB read from storage`,
              [p50],
              100,
            ),
          );
        }
      }
    }
  } finally {
    await embedded.stop();
    await fs.rm(csvPath, { force: true });
    await fs.rm(parquetPath, { force: true });
    await fs.rm(smallGroupsPath, { force: true });
  }
  return results;
}
