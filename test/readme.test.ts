/**
 * Every code block of the README, run as written, in order, as a reader would, against the
 * embedded default (only the address is swapped for the test server's): shell with curl (any 4xx
 * or 5xx fails the run), Python with Debian's python3-requests, JavaScript with Node, the typed
 * client's TypeScript bundled against client/ by esbuild, JSON parsed. What they print and leave
 * behind is checked. Not run here: the quick start's two commands (the README says why) and the
 * Uppy block, which test/browser-uppy.test.ts runs in Chromium.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { projectRoot } from '../src/project-files.ts';
import { startApp } from './support/app.ts';
import { sha256Of } from './support/data.ts';
import { atServer, readmeBlocks } from './support/readme-blocks.ts';

const run = promisify(execFile);
const root = projectRoot();

test('every README code block runs as written, in order, against the embedded default', async (t) => {
  const app = await startApp({ backend: 'embedded' });
  t.after(() => app.close());
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-readme-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  // A reader's shell: this Node first on PATH, no API key, nothing else from the test run.
  const env = { PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, HOME: dir };
  const printed: string[] = [];
  const ran: string[] = [];
  for (const [index, block] of (await readmeBlocks()).entries()) {
    const code = atServer(block.code, app.baseUrl);
    const where = `README line ${block.line} (${block.language})`;
    if (block.skip) {
      assert.equal(block.language, 'sh', `${where}: only the quick start's commands and install lines are skipped`);
      continue;
    }
    let stdout = '';
    switch (block.language) {
      case 'text':
        continue; // a picture
      case 'json':
        JSON.parse(code);
        break;
      case 'sh':
        ({ stdout } = await run('bash', ['-c', `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${code}`], {
          cwd: dir,
          env,
        }));
        break;
      case 'python': {
        const file = path.join(dir, `block-${index}.py`);
        await fs.writeFile(file, code);
        // As after `pip install ./python` (test/python-client.test.ts installs it that way); the
        // client's built-in address is the local server's, swapped like the others through XAI_API_URL.
        const pythonEnv = { ...env, PYTHONPATH: path.join(root, 'python'), XAI_API_URL: app.baseUrl };
        ({ stdout } = await run('python3', [file], { cwd: dir, env: pythonEnv }));
        break;
      }
      case 'js': {
        const file = path.join(dir, `block-${index}.mjs`);
        await fs.writeFile(file, code);
        ({ stdout } = await run(process.execPath, [file], { cwd: dir, env }));
        break;
      }
      case 'ts': {
        if (code.includes("from '@uppy/")) continue; // run in Chromium by test/browser-uppy.test.ts
        const bundle = await build({
          stdin: { contents: code, loader: 'ts', resolveDir: root },
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node22',
          write: false,
          logLevel: 'silent',
          alias: { '@xai-platform/artifact-client': path.join(root, 'client/index.ts') },
        });
        const file = path.join(dir, `block-${index}.mjs`);
        await fs.writeFile(file, bundle.outputFiles[0]?.text ?? '');
        ({ stdout } = await run(process.execPath, [file], { cwd: dir, env }));
        break;
      }
      default:
        assert.fail(`${where}: a block in a language this test cannot run`);
    }
    printed.push(stdout);
    ran.push(block.language);
  }
  assert.deepEqual(
    ran,
    ['sh', 'sh', 'python', 'python', 'sh', 'python', 'js', 'python', 'python', 'js', 'ts', 'sh', 'json'],
    'the blocks a reader runs, in order',
  );
  const [datasets, models, training, direct, lineage, reproduced, importances, pythonClient, compat, browser, typed] = printed;
  // curl: the dataset, two model versions, an explanation; the downloads wrote the same bytes.
  assert.match(datasets ?? '', /"name":"german-credit"/);
  assert.match(datasets ?? '', /"rows":\[\[35,1169,0\],\[22,5951,1\]\]/, 'the preview is typed');
  assert.match(models ?? '', /"version":2/);
  assert.match(models ?? '', /"method":"shap"/);
  const csv = await fs.readFile(path.join(dir, 'german_credit.csv'));
  assert.deepEqual(await fs.readFile(path.join(dir, 'copy.csv')), csv);
  assert.deepEqual(await fs.readFile(path.join(dir, 'model-copy.json')), await fs.readFile(path.join(dir, 'xgboost_model.json')));
  // Python: the training job's model is version 3; the direct upload stored the same bytes again.
  assert.equal(training, 'uploaded xgboost version 3\n');
  assert.equal(direct, `stored raw/german_credit_direct.csv sha256 ${sha256Of(csv)}\n`);
  // Lineage: v2 of xgboost pins dataset version 3 (create, add, delete made 1..3); the alias moved 1 → 2.
  assert.match(lineage ?? '', /"dataset":\{"id":"[^"]+","name":"german-credit","version":3,"digest":"[0-9a-f]{64}","files":\[/);
  assert.match(lineage ?? '', /"items":\[\{"version":2,"previousVersion":1,"by":"local"/);
  assert.equal(reproduced, 'german-credit v3 verified: 1 file(s), explained by shap\n');
  assert.deepEqual(await fs.readFile(path.join(dir, 'snapshot/raw/german_credit.csv')), csv);
  // Importances of the production model's explanation (from its summary), its versions, the filter.
  assert.equal(
    importances,
    '1. TransactionAmt 0.31, 2. card1 0.12 | v2 | 1\n0.3 { age: -0.2, credit_amount: 0.55 } { age: 22, credit_amount: 5951, default: 1 }\n',
  );
  // The Python client: a model pinned to the version it snapshotted; the compat layer's calls.
  assert.match(pythonClient ?? '', /^random-forest v1 trained on german-credit v\d+ \(2 rows\)\n$/);
  assert.equal(compat, "['models/german-credit/random-forest_v1.json', 'models/german-credit/random-forest_v2.json']\n");
  assert.deepEqual(await fs.readFile(path.join(dir, 'train_copy.csv')), csv);
  assert.equal(browser, "[ 'raw/train_transaction.csv' ] [ [ 68.5, 0 ], [ 29, 1 ] ]\n");
  assert.equal(typed, "1 [ 'xgboost' ]\n");
  // The clean-up block deleted everything the others made.
  assert.deepEqual(await app.objectKeys(), []);
  assert.deepEqual(await app.rowCounts(), { datasets: 0, files: 0, models: 0, explanations: 0, pending: 0 });
});
