/**
 * Concurrent lookups share a statement on a Postgres server (src/metadata/coalesced-reads.ts).
 * Which statement answered a call is read from Postgres itself: calls in one statement share
 * one transaction id, calls sent alone each have their own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { isAppError } from '../src/errors.ts';
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

  const many = (fn: string, values: string[]) =>
    Promise.allSettled(values.map((value) => caller.call<Answer>(fn, { p_value: value })));
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

  test('volatile functions and lists are never combined', async () => {
    for (const fn of ['xai_get_test_write', 'xai_list_test']) {
      const results = await many(fn, names(10));
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

  test('a call made alone is sent alone, as before', async () => {
    const first = await caller.call<Answer>('xai_get_test', { p_value: 'a' });
    const second = await caller.call<Answer>('xai_get_test', { p_value: 'b' });
    assert.deepEqual([first.value, second.value], ['a', 'b']);
    assert.notEqual(first.txid, second.txid);
  });
});
