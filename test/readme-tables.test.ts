/**
 * The rendered documentation is what its sources render (npm run readme:tables): a setting added
 * to the config schema, a deploy variable, or a code added to the error catalog cannot go
 * undocumented, and .env.example and the deploy checklist cannot drift from the schema.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { configTable, deployTable, envExample, errorTable, generated } from '../scripts/readme-tables.ts';
import { loadConfig } from '../src/config.ts';
import { settingDocs } from '../src/config-docs.ts';
import { errorCatalog } from '../src/errors.ts';
import { projectRoot } from '../src/project-files.ts';

test('README.md, docs/configuration.md, docs/errors.md and .env.example are what their sources render', async () => {
  for (const [file, render] of Object.entries(generated)) {
    const current = await fs.readFile(path.join(projectRoot(), file), 'utf8');
    assert.equal(current, render(current), `${file} is stale: run npm run readme:tables`);
  }
  for (const variable of Object.keys(settingDocs)) assert.match(configTable(), new RegExp(`\`${variable}\``));
  for (const code of Object.keys(errorCatalog)) assert.match(errorTable(), new RegExp(`\`${code}\``));
  assert.match(errorTable(), /\| 401 \| `unauthenticated` \|/);
  assert.match(errorTable(), /\| 431 \| `headers_too_large` \|/);
  for (const variable of [
    'R2_ACCOUNT_ID',
    'R2_ACCESS_KEY_ID',
    'R2_SECRET_ACCESS_KEY',
    'R2_BUCKET_NAME',
    'SUPABASE_URL',
    'DATABASE_URL',
  ]) {
    assert.match(deployTable(), new RegExp(`\`${variable}\``));
  }
});

test('.env.example names every setting, and its uncommented lines are a configuration the schema accepts once filled', () => {
  const example = envExample();
  for (const variable of Object.keys(settingDocs)) assert.match(example, new RegExp(`^(# )?${variable}=`, 'm'));
  const set = [...example.matchAll(/^([A-Z0-9_]+)=$/gm)].map((match) => match[1] as string);
  assert.deepEqual(
    set.sort(),
    [
      'DATABASE_URL',
      'R2_ACCESS_KEY_ID',
      'R2_ACCOUNT_ID',
      'R2_BUCKET_NAME',
      'R2_SECRET_ACCESS_KEY',
      'SUPABASE_SERVICE_ROLE_KEY',
      'SUPABASE_URL',
    ].sort(),
  );
  // Filled in as a deploy would (DATABASE_URL, not the service key), the settings load.
  const filled: Record<string, string> = {
    R2_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
    R2_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    R2_SECRET_ACCESS_KEY: 'not-a-real-secret-value',
    R2_BUCKET_NAME: 'xai-artifacts',
    SUPABASE_URL: 'https://abcd.supabase.co',
    DATABASE_URL: 'postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres',
  };
  const config = loadConfig(filled);
  assert.equal(config.storage.kind, 's3');
  assert.equal(config.metadata.kind, 'postgres');
});
