/**
 * The README's curl sections, run as written against a running server (only the address is
 * swapped for the test server's): every request must succeed (curl --fail-with-body), and
 * what they leave behind is checked afterwards.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-files.ts';
import { startApp } from './support/app.ts';

const readme = await fs.readFile(path.join(projectRoot(), 'README.md'), 'utf8');

function shellBlock(heading: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(match?.[1], `README has a sh block under ${heading}`);
  return match[1];
}

test('the README curl commands for datasets, models and explanations work as written', async (t) => {
  const app = await startApp({ backend: 'embedded' });
  t.after(() => app.close());
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-readme-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const script = [
    'set -euo pipefail',
    // Any 4xx or 5xx answer fails the run; the commands themselves stay as written.
    'curl() { command curl --fail-with-body "$@"; }',
    shellBlock('## Datasets with curl'),
    shellBlock('## Models and explanations with curl'),
  ]
    .join('\n')
    .replaceAll('http://127.0.0.1:3000', app.baseUrl);
  const { stdout } = await promisify(execFile)('bash', ['-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  assert.match(stdout, /"name":"german-credit"/);
  assert.match(stdout, /"version":2/);
  assert.match(stdout, /"method":"shap"/);
  // The redirect download wrote the file's bytes; the model download too.
  assert.equal(
    await fs.readFile(path.join(dir, 'copy.csv'), 'utf8'),
    await fs.readFile(path.join(dir, 'german_credit.csv'), 'utf8'),
  );
  assert.equal(
    await fs.readFile(path.join(dir, 'model-copy.json'), 'utf8'),
    await fs.readFile(path.join(dir, 'xgboost_model.json'), 'utf8'),
  );
  // The last command deleted everything, with cascade.
  assert.deepEqual(await app.objectKeys(), []);
  assert.deepEqual(await app.rowCounts(), { datasets: 0, dataset_files: 0, models: 0, explanations: 0, pending: 0 });
});
