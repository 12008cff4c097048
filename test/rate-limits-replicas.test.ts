/**
 * Rate limits across replicas: two API instances on one Postgres enforce one budget per caller,
 * not one each. Counted in each process and shared through the database every few hundred
 * milliseconds (src/rate-limits/shared-counter.ts); a caller new to a process is looked up at
 * once, so what the other replica counted is known before its first request is answered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYNC_MS } from '../src/rate-limits/shared-counter.ts';
import { startApp } from './support/app.ts';
import { apiKey } from './support/identity.ts';
import { createTestDatabase, postgresSkipReason } from './support/postgres.ts';

const LIMIT = 10;

/** Waits out the end of the current minute window if it is close (windows are aligned to the epoch). */
async function awayFromWindowEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

test('two replicas on one Postgres share each caller’s request budget', { skip: postgresSkipReason }, async (t) => {
  const database = await createTestDatabase();
  t.after(() => database.drop());
  const alice = apiKey('alice', 'user');
  const bob = apiKey('bob', 'user');
  const env = { API_KEYS: `${alice.entry},${bob.entry}`, RATE_LIMIT_REQUESTS_PER_MINUTE: String(LIMIT) };
  const first = await startApp({ backend: 's3-postgres', databaseUrl: database.url, env });
  t.after(() => first.close());
  const second = await startApp({ backend: 's3-postgres', databaseUrl: database.url, env });
  t.after(() => second.close());
  const list = (app: typeof first, key: string) => fetch(`${app.baseUrl}/datasets`, { headers: { 'x-api-key': key } });

  await awayFromWindowEdge();
  for (let index = 0; index < 6; index += 1) assert.equal((await list(first, alice.key)).status, 200);
  // The first replica's counts reach the database within a sync.
  await new Promise((resolve) => setTimeout(resolve, SYNC_MS * 3));
  const statuses: number[] = [];
  for (let index = 0; index < 6; index += 1) statuses.push((await list(second, alice.key)).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], 'the second replica knew the first six');
  const refused = await list(second, alice.key);
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  await new Promise((resolve) => setTimeout(resolve, SYNC_MS * 3));
  assert.equal((await list(first, alice.key)).status, 429, 'and the first replica learns the second’s');
  assert.equal((await list(first, bob.key)).status, 200, 'another caller has a budget of its own');
  const [row] = await first.sql<{ total: number }>('select sum(count)::int as total from rate_limit_counts');
  assert.ok((row?.total ?? 0) >= LIMIT, `the database holds the shared count (${row?.total})`);
});
