/**
 * Concurrent lookups share a statement on a Postgres server (src/metadata/coalesced-reads.ts).
 * Which statement answered a call is read from Postgres itself: calls in one statement share
 * one transaction id, calls sent alone each have their own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { isAppError } from '../src/errors.ts';
import { PgliteCaller } from '../src/metadata/pglite-caller.ts';
import { PostgresCaller } from '../src/metadata/postgres-caller.ts';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './support/postgres.ts';

interface Answer {
  value: string;
  txid: string;
}

const TEST_FUNCTIONS = `
create function xai_get_test(p_value text) returns jsonb language plpgsql stable as $$
begin
  if p_value = 'missing' then perform xai_raise('file_not_found', 'No file named missing.'); end if;
  return jsonb_build_object('value', p_value, 'txid', txid_current()::text);
end $$;
create function xai_get_test_other(p_value text) returns jsonb language sql stable as $$
  select jsonb_build_object('value', p_value, 'txid', txid_current()::text)
$$;
create function xai_list_test(p_value text) returns jsonb language sql stable as $$
  select jsonb_build_object('value', p_value, 'txid', txid_current()::text)
$$;
create function xai_get_test_write(p_value text) returns jsonb language sql volatile as $$
  select jsonb_build_object('value', p_value, 'txid', txid_current()::text)
$$;`;

/** Every function the records call as a lookup (`lookup('xai_…'` or a lookup record of theirs). */
async function lookupsOfTheRecords(): Promise<string[]> {
  const folder = path.resolve('src/metadata');
  const found = new Set<string>();
  for (const name of await fs.readdir(folder)) {
    const text = await fs.readFile(path.join(folder, name), 'utf8');
    for (const match of text.matchAll(/lookup(?:<[^>]*>)?\('(xai_[a-z_]+)'/g)) found.add(match[1] as string);
  }
  return [...found].sort();
}

test('every function called as a lookup cannot write: stable, every overload', async () => {
  const pglite = await PgliteCaller.open(undefined);
  try {
    await pglite.migrate();
    const lookups = await lookupsOfTheRecords();
    assert.ok(lookups.length >= 5, lookups.join(', '));
    const rows = await pglite.query<{ name: string; volatility: string }>(
      `select proname as name, provolatile as volatility from pg_proc
       where pronamespace = 'public'::regnamespace and proname = any($1)`,
      [lookups],
    );
    assert.deepEqual([...new Set(rows.map((row) => row.name))].sort(), lookups, 'each lookup exists');
    for (const row of rows) assert.ok(['s', 'i'].includes(row.volatility), `${row.name} is not stable`);
  } finally {
    await pglite.close();
  }
});

describe('coalesced lookups on a Postgres server', { skip: postgresSkipReason }, () => {
  let database: TestDatabase;
  let caller: PostgresCaller;

  before(async () => {
    database = await createTestDatabase();
    caller = new PostgresCaller(database.url);
    await caller.migrate();
    const admin = postgres(database.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(TEST_FUNCTIONS);
    await admin.end();
  });
  after(async () => {
    await caller?.close();
    await database?.drop();
  });

  const many = (fn: string, values: string[], how: 'lookup' | 'call' = 'lookup') =>
    Promise.allSettled(values.map((value) => caller[how]<Answer>(fn, { p_value: value })));
  const names = (count: number, prefix = 'v') => Array.from({ length: count }, (_, index) => `${prefix}${index}`);

  test('concurrent calls of a stable lookup share one statement, each with its own answer', async () => {
    const values = names(24);
    const answers = (await many('xai_get_test', values)).map((result) => {
      assert.equal(result.status, 'fulfilled');
      return (result as PromiseFulfilledResult<Answer>).value;
    });
    assert.deepEqual(
      answers.map((answer) => answer.value),
      values,
    );
    assert.equal(new Set(answers.map((answer) => answer.txid)).size, 1, 'one statement answered all 24');
  });

  test('a call that raises gets its own error; the others in its statement get their answers', async () => {
    const values = names(10);
    values[3] = 'missing';
    const results = await many('xai_get_test', values);
    results.forEach((result, index) => {
      if (index === 3) {
        assert.equal(result.status, 'rejected');
        const error = (result as PromiseRejectedResult).reason as Error;
        assert.ok(isAppError(error, 'file_not_found'), `expected file_not_found, got ${error.message}`);
      } else {
        assert.equal(result.status, 'fulfilled');
        assert.equal((result as PromiseFulfilledResult<Answer>).value.value, `v${index}`);
      }
    });
  });

  test('calls not marked as lookups are never combined, whatever their name', async () => {
    for (const fn of ['xai_get_test', 'xai_get_test_write', 'xai_list_test']) {
      const results = await many(fn, names(10), 'call');
      const txids = results.map((result) => (result as PromiseFulfilledResult<Answer>).value.txid);
      assert.equal(new Set(txids).size, 10, `${fn}: each call its own statement`);
    }
  });

  test('calls of different functions go in different statements', async () => {
    const [reads, others] = await Promise.all([many('xai_get_test', names(5)), many('xai_get_test_other', names(5, 'o'))]);
    const txidsOf = (results: PromiseSettledResult<Answer>[]) =>
      new Set(results.map((result) => (result as PromiseFulfilledResult<Answer>).value.txid));
    assert.equal(txidsOf(reads).size, 1);
    assert.equal(txidsOf(others).size, 1);
    assert.notEqual([...txidsOf(reads)][0], [...txidsOf(others)][0]);
    assert.deepEqual(
      others.map((result) => (result as PromiseFulfilledResult<Answer>).value.value),
      names(5, 'o'),
    );
  });

  test('a statement holds at most 64 calls', async () => {
    const results = await many('xai_get_test', names(100));
    const txids = results.map((result) => (result as PromiseFulfilledResult<Answer>).value.txid);
    assert.equal(new Set(txids.slice(0, 64)).size, 1);
    assert.equal(new Set(txids.slice(64)).size, 1);
    assert.notEqual(txids[0], txids[64]);
    assert.deepEqual(
      results.map((result) => (result as PromiseFulfilledResult<Answer>).value.value),
      names(100),
    );
  });

  test('a lookup made alone is sent alone, as before', async () => {
    const first = await caller.lookup<Answer>('xai_get_test', { p_value: 'a' });
    const second = await caller.lookup<Answer>('xai_get_test', { p_value: 'b' });
    assert.deepEqual([first.value, second.value], ['a', 'b']);
    assert.notEqual(first.txid, second.txid);
  });
});
