/**
 * No SQL function can forget the owner filter: every function taking `p_owner` (as the
 * migrations leave it, on a real database) either filters rows through xai_can_see(…, p_owner)
 * or hands p_owner to another xai_ function, which is checked in turn. The few that use it
 * otherwise are named here with the reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgliteCaller } from '../src/metadata/pglite-caller.ts';

/** Functions that take p_owner but are not row filters. */
const NOT_FILTERS: Record<string, string> = {
  xai_can_see: 'it is the filter',
  xai_reserve_dataset: "p_owner is the new dataset's owner; it refuses the every-owner scope '*'",
};

test('every SQL function that takes p_owner filters by it (xai_can_see) or passes it on', async () => {
  const caller = await PgliteCaller.open(undefined);
  try {
    await caller.migrate();
    const functions = await caller.query<{ name: string; body: string }>(
      `select p.proname as name, p.prosrc as body from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and 'p_owner' = any(p.proargnames)`,
    );
    assert.ok(functions.length > 20, `found ${functions.length} functions taking p_owner`);
    const unfiltered = functions
      .filter(({ name }) => !(name in NOT_FILTERS))
      .filter(({ body }) => !/xai_can_see\(\s*[\w.]+\s*,\s*p_owner\s*\)/.test(body) && !/xai_\w+\(\s*p_owner\b/.test(body))
      .map(({ name }) => name);
    assert.deepEqual(unfiltered, [], 'functions that take p_owner but neither filter by it nor pass it on');
    const reserve = functions.find(({ name }) => name === 'xai_reserve_dataset');
    assert.match(reserve?.body ?? '', /p_owner = '\*'/, 'the dataset reservation refuses the every-owner scope');
  } finally {
    await caller.close();
  }
});
