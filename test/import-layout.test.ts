/**
 * The import's reading of the platform's layout (src/import/layout.ts), key by key: what each
 * key becomes, and that no key can name a place outside a dataset, model or explanation (keys
 * of a bucket are any text: `..`, empty segments, names the API refuses).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classify } from '../src/import/layout.ts';

test('keys in the layout map onto datasets, model versions and explanations', () => {
  assert.deepEqual(classify('datasets/german_credit/raw/german_credit.csv'), {
    kind: 'dataset-file',
    dataset: 'german-credit',
    path: 'raw/german_credit.csv',
  });
  assert.deepEqual(classify('models/ieee-cis-fraud/XGBoost_v12.PKL'), {
    kind: 'model',
    dataset: 'ieee-cis-fraud',
    name: 'xgboost',
    version: 12,
    filename: 'xgboost.pkl',
  });
  assert.deepEqual(classify('models/ieee-cis-fraud/random_forest.joblib'), {
    kind: 'model',
    dataset: 'ieee-cis-fraud',
    name: 'random_forest',
    version: 1,
    filename: 'random_forest.joblib',
  });
  assert.deepEqual(classify('explanations/ieee-cis-fraud/v2/lime_weights.json'), {
    kind: 'explanation',
    dataset: 'ieee-cis-fraud',
    path: 'v2/lime_weights.json',
    method: 'lime',
  });
});

test('keys that would leave their folder, or name nothing the API takes, are not mapped, with the reason', () => {
  for (const [key, reason] of [
    ['datasets/ieee/../../outside.csv', /not inside a dataset's folder/],
    ['datasets/ieee/./a.csv', /not inside a dataset's folder/],
    ['datasets//a.csv', /not inside a dataset's folder/],
    ['datasets/ieee/raw//a.csv', /not inside a dataset's folder/],
    ['datasets/ieee', /not inside a dataset's folder/],
    ['backups/ieee/a.csv', /starts with backups\//],
    ['datasets/0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11/a.csv', /cannot be a dataset name/],
    ['datasets/!!!/a.csv', /cannot be a dataset name/],
    ['datasets/ieee/notes.txt', /\.txt is not a dataset file type/],
    ['models/ieee/sub/x_v1.pkl', /directly in models/],
    ['models/ieee/x_v0.pkl', /versions start at 1/],
    ['models/ieee/x_v1.exe', /\.exe is not a model file type/],
    ['models/ieee/Bad Name!.pkl', /a model file is/],
    ['explanations/ieee/run.sh', /not an explanation file type/],
  ] as const) {
    const result = classify(key);
    assert.equal(result.kind, 'unmapped', key);
    assert.match((result as { reason: string }).reason, reason, key);
  }
});
