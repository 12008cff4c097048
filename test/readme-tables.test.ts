/**
 * The README's configuration and error tables are what their sources render (npm run
 * readme:tables): a setting added to the config schema, or a code added to the error catalog,
 * cannot go undocumented.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { configTable, errorTable, withTables } from '../scripts/readme-tables.ts';
import { errorCatalog } from '../src/errors.ts';

const readme = await fs.readFile(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');

test('the README tables match the config schema and the error catalog (npm run readme:tables)', () => {
  assert.equal(readme, withTables(readme), 'README.md is stale: run npm run readme:tables');
  for (const variable of ['API_KEYS', 'CORS_ORIGINS', 'SUPABASE_JWT_SECRET', 'METADATA_BACKEND', 'UPLOAD_MEMORY_BUDGET_BYTES']) {
    assert.match(configTable(), new RegExp(`\`${variable}\``));
  }
  for (const code of Object.keys(errorCatalog)) assert.match(errorTable(), new RegExp(`\`${code}\``));
  assert.match(errorTable(), /\| 401 \| `unauthenticated` \|/);
  assert.match(errorTable(), /\| 431 \| `headers_too_large` \|/);
});
