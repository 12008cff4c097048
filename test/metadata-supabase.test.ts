/**
 * The Supabase adapter (supabase-js, rpc) against the real SQL functions: through the
 * PostgREST bridge on the Postgres server, and against a live project when one is configured.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../src/errors.ts';
import { PostgresCaller } from '../src/metadata/postgres-caller.ts';
import { SupabaseCaller } from '../src/metadata/supabase-caller.ts';
import { metadataContract } from './metadata-contract.ts';
import { createTestDatabase, postgresSkipReason } from './support/postgres.ts';
import { postgrestBridge } from './support/postgrest-bridge.ts';

if (postgresSkipReason) {
  describe('metadata contract: Supabase through the PostgREST bridge', { skip: postgresSkipReason }, () => {});
} else {
  let bridgeCalls: ReturnType<typeof postgrestBridge>['calls'] = [];
  metadataContract('Supabase (supabase-js rpc through the PostgREST bridge)', async () => {
    const database = await createTestDatabase();
    const migrator = new PostgresCaller(database.url);
    await migrator.migrate();
    await migrator.close();
    const bridge = postgrestBridge(database.url);
    bridgeCalls = bridge.calls;
    const caller = new SupabaseCaller({
      url: 'http://supabase.test',
      serviceRoleKey: 'service-role-key-for-tests',
      fetch: bridge.fetch,
    });
    return {
      caller,
      async close() {
        await caller.close();
        await bridge.close();
        await database.drop();
      },
    };
  });

  test('the Supabase adapter posts named arguments with the service role key', () => {
    const reserve = bridgeCalls.find((call) => call.fn === 'xai_reserve_dataset');
    assert.ok(reserve, 'xai_reserve_dataset was called through /rest/v1/rpc');
    assert.equal(reserve.apikey, 'service-role-key-for-tests');
    assert.deepEqual(Object.keys(reserve.body).sort(), [
      'p_batch',
      'p_description',
      'p_id',
      'p_name',
      'p_owner',
      'p_status',
      'p_tags',
    ]);
    assert.ok(Array.isArray(reserve.body.p_tags), 'jsonb arguments travel as JSON, not as strings');
  });
}

test('an unreachable Supabase project is metadata_unavailable', async () => {
  const caller = new SupabaseCaller({ url: 'http://127.0.0.1:1', serviceRoleKey: 'key' });
  await assert.rejects(caller.check(), (error: unknown) => error instanceof AppError && error.code === 'metadata_unavailable');
});

const liveUrl = process.env.SUPABASE_TEST_URL;
const liveKey = process.env.SUPABASE_TEST_SERVICE_ROLE_KEY;
if (liveUrl && liveKey) {
  metadataContract('live Supabase project (SUPABASE_TEST_URL)', async () => {
    const caller = new SupabaseCaller({ url: liveUrl, serviceRoleKey: liveKey });
    return { caller, close: () => caller.close() };
  });
} else {
  describe('metadata contract: live Supabase project', {
    skip: 'SUPABASE_TEST_URL and SUPABASE_TEST_SERVICE_ROLE_KEY are not set: no live project to test against',
  }, () => {});
}
