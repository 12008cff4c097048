/**
 * SQL keeps its own CHECK constraints as the last line of defence behind the core's field
 * rules: the patterns in the migrated schema must be the very ones the zod schemas enforce.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASET_NAME_PATTERN } from '../src/datasets/schema.ts';
import { KEY_NAME_PATTERN } from '../src/fields/common.ts';
import { PgliteCaller } from '../src/metadata/pglite-caller.ts';

test("the database's CHECK constraints on names are the core's patterns", async () => {
  const caller = await PgliteCaller.open(undefined);
  try {
    await caller.migrate();
    const checks = await caller.query<{ tablename: string; def: string }>(
      `select conrelid::regclass::text as tablename, pg_get_constraintdef(oid) as def
       from pg_constraint where contype = 'c' and connamespace = 'public'::regnamespace`,
    );
    const patternOf = (table: string, column: string) =>
      checks
        .filter(({ tablename }) => tablename === table)
        .map(({ def }) => new RegExp(`\\(${column} ~ '(.+)'::text\\)`).exec(def)?.[1])
        .find(Boolean);
    assert.equal(patternOf('datasets', 'name'), DATASET_NAME_PATTERN.source);
    assert.equal(patternOf('models', 'name'), KEY_NAME_PATTERN.source);
    assert.equal(patternOf('explanations', 'method'), KEY_NAME_PATTERN.source);
  } finally {
    await caller.close();
  }
});
