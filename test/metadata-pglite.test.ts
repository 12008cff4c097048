import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgliteCaller } from '../src/metadata/pglite-caller.ts';
import { checkedRecords } from '../src/metadata/record-checks.ts';
import { metadataContract } from './metadata-contract.ts';

metadataContract('PGlite (in memory)', async () => {
  const caller = await PgliteCaller.open(undefined);
  await caller.migrate();
  return { caller, close: () => caller.close() };
});

test('a record SQL answers that breaks its schema is refused by the check, naming the field', () => {
  const good = { id: 'f', path: 'a.csv', size: 1, sha256: 'x', contentType: 'text/csv', createdAt: 't', updatedAt: 't' };
  const profile = { status: 'none', format: null, rows: null, columns: null, reason: 'Not profiled.' };
  assert.equal(checkedRecords('dataset file', { ...good, profile }).path, 'a.csv');
  assert.throws(() => checkedRecords('dataset file', { ...good, profile, size: '1' }), /dataset file record.*size/s);
});
