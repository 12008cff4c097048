import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { test } from 'node:test';
import { openApiFile, renderOpenApiYaml } from '../scripts/openapi.ts';

test('the committed openapi.yaml is what the route schemas produce (npm run openapi)', async () => {
  const committed = await fs.readFile(openApiFile, 'utf8');
  assert.equal(committed, await renderOpenApiYaml());
  assert.match(committed, /operationId: createDataset/);
  assert.match(committed, /multipart\/form-data/);
});
