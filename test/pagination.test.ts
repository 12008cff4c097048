/**
 * Keyset pagination returns every row exactly once, in order, when many rows share a
 * millisecond: on each backend, for each listing, each sort and both orders. Timestamps are set
 * to one millisecond with microsecond steps and exact ties, as a burst of concurrent uploads makes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Backend, startApp, type TestApp } from './support/app.ts';
import { bufferFile } from './support/data.ts';
import { upload } from './support/multipart.ts';
import { postgresSkipReason } from './support/postgres.ts';

const ROWS = 12;

interface Item {
  id: string;
  createdAt: string;
  metrics?: Record<string, number>;
}

async function pageAll(app: TestApp, path: string, limit: number): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages += 1) {
    const url = new URL(path, app.baseUrl);
    url.searchParams.set('limit', String(limit));
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url);
    assert.equal(response.status, 200, await response.clone().text());
    const page = (await response.json()) as { items: Item[]; nextCursor: string | null };
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) return items;
  }
  throw new Error(`${path} did not end`);
}

/**
 * (createdAt, id) in the listing's order; by a metric: its value in the listing's order (rows
 * without it last), ties newest first, as the API documents.
 */
function expectedOrder(items: Item[], order: 'asc' | 'desc', value?: (item: Item) => number | undefined): string[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...items]
    .sort((a, b) => {
      if (value) {
        const va = value(a);
        const vb = value(b);
        if (va === undefined && vb !== undefined) return 1;
        if (vb === undefined && va !== undefined) return -1;
        if (va !== undefined && vb !== undefined && va !== vb) return sign * (va - vb);
      }
      const tieSign = value ? -1 : sign;
      if (a.createdAt !== b.createdAt) return tieSign * (a.createdAt < b.createdAt ? -1 : 1);
      return tieSign * (a.id < b.id ? -1 : 1);
    })
    .map((item) => item.id);
}

function suite(backend: Backend) {
  describe(`keyset pagination on ${backend}`, { skip: backend === 's3-postgres' ? postgresSkipReason : undefined }, () => {
    let app: TestApp;
    before(async () => {
      app = await startApp({ backend });
      for (let index = 0; index < ROWS; index += 1) {
        const created = await upload(`${app.baseUrl}/datasets`, [{ name: 'name', value: `burst-${index}` }]);
        assert.equal(created.status, 201);
      }
      for (let index = 0; index < ROWS; index += 1) {
        // Every third model has no auc; the rest share three values, so sort values tie too.
        const metrics = index % 3 === 0 ? { accuracy: 0.5 } : { auc: [0.7, 0.8, 0.9][index % 3] as number };
        const model = await upload(`${app.baseUrl}/models`, [
          { name: 'dataset', value: 'burst-0' },
          { name: 'name', value: 'xgboost' },
          { name: 'metrics', value: JSON.stringify(metrics) },
          { name: 'file', filename: 'model.json', file: bufferFile('{}') },
        ]);
        assert.equal(model.status, 201);
        const explanation = await upload(`${app.baseUrl}/explanations`, [
          { name: 'model', value: ((await model.json()) as { id: string }).id },
          { name: 'method', value: 'shap' },
          { name: 'file', filename: 'shap.json', file: bufferFile('{}') },
        ]);
        assert.equal(explanation.status, 201);
      }
      // One millisecond, microsecond steps, and pairs of exact ties (row_number / 2).
      for (const table of ['datasets', 'models', 'explanations']) {
        await app.sql(
          `update ${table} t set created_at = timestamptz '2026-03-01 12:00:00.123+00' + (n.i / 2) * interval '1 microsecond'
             from (select id, row_number() over (order by id) as i from ${table}) n where n.id = t.id`,
        );
      }
    });
    after(() => app?.close());

    const listings: Array<{ path: string; order: 'asc' | 'desc'; metric?: string }> = [
      { path: '/datasets', order: 'desc' },
      { path: '/explanations', order: 'desc' },
      { path: '/models', order: 'desc' },
      { path: '/models?order=asc', order: 'asc' },
      { path: '/models?sort=metrics.auc&order=desc', order: 'desc', metric: 'auc' },
      { path: '/models?sort=metrics.auc&order=asc', order: 'asc', metric: 'auc' },
    ];
    for (const listing of listings) {
      test(`${listing.path}: every row exactly once, in order, at page sizes 1, 2 and 5`, async () => {
        const all = await pageAll(app, listing.path, 100);
        assert.equal(all.length, ROWS);
        assert.equal(new Set(all.map((item) => item.createdAt.slice(0, 23))).size, 1, 'all rows share one millisecond');
        const expected = expectedOrder(
          all,
          listing.order,
          listing.metric ? (item) => item.metrics?.[listing.metric as string] : undefined,
        );
        assert.deepEqual(
          all.map((item) => item.id),
          expected,
        );
        for (const limit of [1, 2, 5]) {
          const paged = await pageAll(app, listing.path, limit);
          assert.deepEqual(
            paged.map((item) => item.id),
            expected,
            `limit=${limit}`,
          );
        }
      });
    }
  });
}

suite('embedded');
suite('s3-postgres');
