/**
 * A person in a real browser: headless Chromium (Debian's package) driven by playwright-core
 * opens /docs, authorizes with an API key through Swagger UI's Authorize button, uploads a
 * dataset file through the file picker, executes the download endpoint and follows the URL it
 * returned, getting the same bytes. A screenshot of the docs page lands in test-output/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { Locator } from 'playwright-core';
import { projectRoot } from '../src/project-files.ts';
import { startApp } from './support/app.ts';
import { chromiumSkipReason, launchChromium } from './support/chromium.ts';
import { apiKey } from './support/identity.ts';

const skip = chromiumSkipReason;

async function tryItOut(operation: Locator): Promise<void> {
  await operation.locator('.opblock-summary').first().click();
  await operation.locator('.try-out__btn').click();
}

async function execute(operation: Locator): Promise<{ status: string; body: string }> {
  await operation.locator('.execute').click();
  const live = operation.locator('.live-responses-table');
  await live.waitFor({ timeout: 20_000 });
  return {
    status: ((await live.locator('tbody .response-col_status').first().textContent()) ?? '').trim(),
    body:
      (await live
        .locator('tbody .response-col_description .highlight-code code, tbody .response-col_description .highlight-code pre')
        .first()
        .textContent()) ?? '',
  };
}

test('Swagger UI: authorize, upload a dataset file through the file picker, download it again; a model and an explanation as Swagger UI fills their forms', {
  skip,
}, async (t) => {
  const key = apiKey('docs-user', 'user');
  const app = await startApp({ backend: 'embedded', env: { API_KEYS: key.entry } });
  t.after(() => app.close());
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Could not find component/.test(message.text())) problems.push(message.text());
  });

  await page.goto(`${app.baseUrl}/docs/`);
  await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
  assert.match((await page.locator('.info .title').textContent()) ?? '', /XAI artifact API/);
  assert.match((await page.locator('.info .title').textContent()) ?? '', /0\.1\.0/, 'the service version is shown');

  // The Authorize button is wired to the bearer security scheme.
  await page.locator('.btn.authorize').first().click();
  await page.locator('.modal-ux input').first().fill(key.key);
  await page.locator('.modal-ux .auth-btn-wrapper .authorize').click();
  await page.locator('.modal-ux .btn-done, .modal-ux .close-modal').first().click();

  const bytes = Buffer.from('TransactionID,isFraud\n2987000,0\n2987001,1\n');
  const create = page.locator('#operations-datasets-createDataset');
  await tryItOut(create);
  await create.locator('tr[data-property-name=name] input[type=text]').fill('from-the-browser');
  // The form cannot set the part's filename: the path field places the file.
  await create.locator('tr[data-property-name=path] input[type=text]').fill('raw/train_transaction.csv');
  await create
    .locator('input[type=file]')
    .first()
    .setInputFiles({ name: 'train_transaction.csv', mimeType: 'text/csv', buffer: bytes });
  const created = await execute(create);
  assert.equal(created.status, '201', created.body);
  const dataset = JSON.parse(created.body) as { id: string; files: Array<{ id: string; sha256: string; path: string }> };
  assert.equal(dataset.files[0]?.path, 'raw/train_transaction.csv');
  assert.equal(dataset.files[0]?.sha256, createHash('sha256').update(bytes).digest('hex'));

  const download = page.locator('#operations-datasets-downloadDatasetFile');
  await tryItOut(download);
  await download.locator('tr[data-param-name=dataset] input').fill(dataset.id);
  await download.locator('tr[data-param-name=fileId] input').fill(dataset.files[0]?.id ?? '');
  const linked = await execute(download);
  assert.equal(linked.status, '200', linked.body);
  const link = JSON.parse(linked.body) as { url: string };
  // Follow the URL from the page, as the person would.
  const fetched = await page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, disposition: response.headers.get('content-disposition'), body: await response.text() };
  }, link.url);
  assert.equal(fetched.status, 200);
  assert.equal(fetched.body, bytes.toString());
  assert.match(fetched.disposition ?? '', /^attachment/);

  // A model and its explanation, as Swagger UI fills the forms: its examples stay in the fields
  // the person does not touch, and it may send descriptive fields after the file.
  const createModel = page.locator('#operations-models-createModel');
  await tryItOut(createModel);
  await createModel.locator('tr[data-property-name=dataset] input[type=text]').fill('from-the-browser');
  await createModel
    .locator('input[type=file]')
    .first()
    .setInputFiles({
      name: 'model.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"learner":{"gradient_booster":{"name":"gbtree"}}}'),
    });
  await createModel.locator('tr[data-property-name=description] input[type=text]').fill('XGBoost from Swagger UI');
  await createModel.locator('tr[data-property-name=framework] select').selectOption('xgboost');
  const modelCreated = await execute(createModel);
  assert.equal(modelCreated.status, '201', modelCreated.body);
  const model = JSON.parse(modelCreated.body) as {
    id: string;
    name: string;
    framework: string;
    description: string;
    metrics: Record<string, number>;
    tags: string[];
  };
  assert.equal(model.name, 'xgboost');
  assert.equal(model.framework, 'xgboost');
  assert.equal(model.description, 'XGBoost from Swagger UI');
  assert.deepEqual(model.metrics, { accuracy: 0.95, auc: 0.91 }, "the form's example metrics");

  const createExplanation = page.locator('#operations-explanations-createExplanation');
  await tryItOut(createExplanation);
  await createExplanation.locator('tr[data-property-name=model] input[type=text]').fill(model.id);
  await createExplanation
    .locator('input[type=file]')
    .first()
    .setInputFiles({
      name: 'shap_values.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"TransactionAmt":0.31}'),
    });
  const explained = await execute(createExplanation);
  assert.equal(explained.status, '201', explained.body);
  const explanation = JSON.parse(explained.body) as { method: string; model: { id: string } };
  assert.equal(explanation.method, 'shap');
  assert.equal(explanation.model.id, model.id);

  assert.deepEqual(problems, [], 'no script errors, CSP violations or missing components');

  const output = path.join(projectRoot(), 'test-output');
  await fs.mkdir(output, { recursive: true });
  await page.goto(`${app.baseUrl}/docs/`);
  await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
  await page.screenshot({ path: path.join(output, 'docs.png') });
  t.diagnostic(`screenshot: ${path.join(output, 'docs.png')}`);
});
