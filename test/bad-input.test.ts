/**
 * The bad-input corpus (test/corpus/bad-requests.json): every case is sent as raw HTTP over a
 * real socket and must get its stated status and code as problem details; afterwards storage
 * and metadata hold exactly what they held before, and the server still answers /health.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Backend, startApp, type TestApp } from './support/app.ts';
import { bufferFile } from './support/data.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

interface CorpusPart {
  name: string;
  value?: string;
  repeat?: number;
  times?: number;
  filename?: string;
  content?: string;
  size?: number;
}

interface CorpusCase {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  text?: string;
  json?: unknown;
  multipart?: { parts: CorpusPart[]; boundary?: string; declaredBoundary?: string; truncate?: number; omitEnd?: boolean };
  expect: { status: number; code: string };
  onlyOn?: Backend;
}

const corpus = JSON.parse(await fs.readFile(path.join(import.meta.dirname, 'corpus', 'bad-requests.json'), 'utf8')) as {
  cases: CorpusCase[];
};

function multipartBody(
  spec: NonNullable<CorpusCase['multipart']>,
  fill: (text: string) => string,
): { body: Buffer; contentType: string } {
  const boundary = spec.boundary ?? `corpus${randomUUID().replaceAll('-', '')}`;
  const chunks: Buffer[] = [];
  for (const part of spec.parts) {
    for (let time = 0; time < (part.times ?? 1); time += 1) {
      const filename = part.filename?.replace('{index}', String(time));
      const disposition = `form-data; name="${part.name}"${filename === undefined ? '' : `; filename="${filename}"`}`;
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n`, 'utf8'));
      if (part.filename !== undefined) chunks.push(Buffer.from('Content-Type: application/octet-stream\r\n'));
      chunks.push(Buffer.from('\r\n'));
      if (part.size !== undefined) chunks.push(Buffer.alloc(part.size, 0x61));
      else if (part.filename !== undefined) chunks.push(Buffer.from(part.content ?? ''));
      else chunks.push(Buffer.from(fill(part.value ?? '').repeat(part.repeat ?? 1)));
      chunks.push(Buffer.from('\r\n'));
    }
  }
  if (!spec.omitEnd) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  let body = Buffer.concat(chunks);
  if (spec.truncate !== undefined) body = body.subarray(0, spec.truncate);
  return { body, contentType: `multipart/form-data; boundary=${spec.declaredBoundary ?? boundary}` };
}

/** One raw HTTP exchange; the body is sent whole with its Content-Length. */
function send(base: string, method: string, target: string, headers: Record<string, string>, body?: Buffer) {
  return new Promise<{ status: number; contentType: string; body: string }>((resolve, reject) => {
    const url = new URL(target, base);
    const request = http.request(
      url,
      { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), body: text }),
        );
      },
    );
    // The server may answer (and close) before reading a refused body: that answer is what counts.
    request.on('error', (error) =>
      error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error),
    );
    if (body) request.write(body);
    request.end();
  });
}

function suite(backend: Backend) {
  describe(`bad-input corpus on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    const values: Record<string, string> = {};
    before(async () => {
      app = await startApp({
        backend,
        env: {
          MAX_DATASET_FILE_BYTES: String(1024 * 1024),
          MAX_MODEL_FILE_BYTES: String(1024 * 1024),
          MAX_FIELD_BYTES: String(64 * 1024),
          MAX_PARTS: '100',
        },
      });
      const dataset = (await (
        await upload(`${app.baseUrl}/datasets`, [
          { name: 'name', value: 'existing' },
          { name: 'file', filename: 'a.csv', file: bufferFile('a\n') },
        ])
      ).json()) as {
        id: string;
        files: Array<{ id: string }>;
      };
      const model = (await (
        await upload(`${app.baseUrl}/models`, [
          { name: 'dataset', value: 'existing' },
          { name: 'name', value: 'xgboost' },
          { name: 'file', filename: 'm.json', file: bufferFile('{}') },
        ])
      ).json()) as { id: string };
      const explanation = (await (
        await upload(`${app.baseUrl}/explanations`, [
          { name: 'model', value: model.id },
          { name: 'method', value: 'shap' },
          { name: 'file', filename: 's.json', file: bufferFile('{}') },
        ])
      ).json()) as { id: string };
      const page = (await (await fetch(`${app.baseUrl}/datasets?limit=1`)).json()) as { nextCursor: string | null };
      await upload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'second' }]);
      const cursorPage = (await (await fetch(`${app.baseUrl}/datasets?limit=1`)).json()) as { nextCursor: string };
      assert.equal(page.nextCursor, null);
      const link = (await (await fetch(`${app.baseUrl}/datasets/existing/files/${dataset.files[0]?.id}/download`)).json()) as {
        url: string;
      };
      const expired = (await (
        await fetch(`${app.baseUrl}/datasets/existing/files/${dataset.files[0]?.id}/download?expiresIn=1`)
      ).json()) as { url: string };
      Object.assign(values, {
        datasetId: dataset.id,
        fileId: dataset.files[0]?.id ?? '',
        modelId: model.id,
        explanationId: explanation.id,
        datasetCursor: cursorPage.nextCursor,
        tamperedLink: link.url.replace(/signature=[^&]+/, `signature=${createHash('sha256').update('x').digest('base64url')}`),
        expiredLink: expired.url,
      });
      await new Promise((resolve) => setTimeout(resolve, 2100));
    });
    after(() => app?.close());

    const fill = (text: string) =>
      text
        .replace(/\{pad:(\d+)\}/g, (_whole, count: string) => 'x'.repeat(Number(count)))
        .replace(/\{deep:(\d+)\}/g, (_whole, count: string) => `${'{"a":'.repeat(Number(count))}1${'}'.repeat(Number(count))}`)
        .replace(/\{(\w+)\}/g, (whole, key: string) => (key === 'uuid' ? randomUUID() : (values[key] ?? whole)));

    test(`${corpus.cases.length} bad requests: each gets its status and code, nothing stored changes`, async () => {
      assert.ok(corpus.cases.length >= 60);
      // What is stored, including the records' contents (a PATCH that slipped through changes updatedAt).
      const state = async () => ({
        keys: await app.objectKeys(),
        rows: await app.rowCounts(),
        incomplete: await app.incompleteUploads(),
        // Versions and every alias move, which a refused request must not have made either.
        lineage: await app.sql(
          'select (select count(*) from dataset_versions) as versions, (select count(*) from alias_events) as moves',
        ),
        records: await Promise.all(
          ['/datasets/existing', `/models/${values.modelId}`, `/explanations/${values.explanationId}`].map(async (path) =>
            (await fetch(`${app.baseUrl}${path}`)).text(),
          ),
        ),
      });
      const before = await state();
      const failures: string[] = [];
      for (const item of corpus.cases.filter((candidate) => !candidate.onlyOn || candidate.onlyOn === backend)) {
        const headers: Record<string, string> = { ...item.headers };
        let body: Buffer | undefined;
        if (item.multipart) {
          const built = multipartBody(item.multipart, fill);
          body = built.body;
          headers['content-type'] = built.contentType;
        } else if (item.json !== undefined) {
          body = Buffer.from(JSON.stringify(item.json));
          headers['content-type'] ??= 'application/json';
        } else if (item.text !== undefined) {
          body = Buffer.from(fill(item.text));
        }
        const response = await send(app.baseUrl, item.method, fill(item.path), headers, body);
        let code: unknown;
        try {
          code = (JSON.parse(response.body) as { code?: unknown }).code;
        } catch {
          code = undefined;
        }
        if (
          response.status !== item.expect.status ||
          code !== item.expect.code ||
          !response.contentType.startsWith('application/problem+json')
        ) {
          failures.push(
            `${item.name}: expected ${item.expect.status} ${item.expect.code}, got ${response.status} ${String(code)} (${response.contentType}) ${response.body.slice(0, 200)}`,
          );
        }
      }
      assert.deepEqual(failures, []);
      // Refused uploads clean up right after answering; give the last ones a moment.
      for (let tries = 0; tries < 50 && JSON.stringify(await state()) !== JSON.stringify(before); tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(await state(), before);
      const health = await fetch(`${app.baseUrl}/health`);
      assert.equal(health.status, 200);
    });
  });
}

suite('embedded');
suite('s3-postgres');
