import { describe } from 'node:test';
import { PostgresCaller } from '../src/metadata/postgres-caller.ts';
import { metadataContract } from './metadata-contract.ts';
import { createTestDatabase, postgresSkipReason } from './support/postgres.ts';

if (postgresSkipReason) {
  describe('metadata contract: Postgres server', { skip: postgresSkipReason }, () => {});
} else {
  metadataContract('Postgres server', async () => {
    const database = await createTestDatabase();
    const caller = new PostgresCaller(database.url);
    await caller.migrate();
    // Applying the migrations again changes nothing (they are recorded).
    if ((await caller.migrate()).length !== 0) throw new Error('migrations were applied twice');
    return {
      caller,
      async close() {
        await caller.close();
        await database.drop();
      },
    };
  });
}
