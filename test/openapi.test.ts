import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { statusByKind } from '../routes/plugins/problem-details.ts';
import { openApiFile, renderOpenApiYaml } from '../scripts/openapi.ts';
import { type ErrorCode, errorCatalog } from '../src/errors.ts';
import { startApp } from './support/app.ts';

test('the committed openapi.yaml is what the route schemas produce (npm run openapi)', async () => {
  const committed = await fs.readFile(openApiFile, 'utf8');
  assert.equal(committed, await renderOpenApiYaml());
  assert.match(committed, /operationId: createDataset/);
  assert.match(committed, /multipart\/form-data/);
});

test('every error response shows its own status and a code that status really carries', async (t) => {
  const app = await startApp({ backend: 'embedded' });
  t.after(() => app.close());
  const document = (await (await fetch(`${app.baseUrl}/openapi.json`)).json()) as {
    paths: Record<
      string,
      Record<string, { responses: Record<string, { content?: Record<string, { example?: { status: number; code: string } }> }> }>
    >;
  };
  const seen = new Map<number, string>();
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400) continue;
        const example = response.content?.['application/problem+json']?.example;
        assert.ok(example, `an example for ${status}`);
        assert.equal(example.status, Number(status));
        const kind = errorCatalog[example.code as ErrorCode];
        assert.equal(statusByKind[kind], Number(status), `${example.code} is answered with ${status}`);
        seen.set(Number(status), example.code);
      }
    }
  }
  assert.ok(new Set(seen.values()).size === seen.size && seen.size >= 8, `one code per status: ${[...seen]}`);
});
