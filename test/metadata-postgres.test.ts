import { describe } from 'node:test';
import { PostgresCaller } from '../src/metadata/postgres-caller.ts';
import { metadataContract } from './metadata-contract.ts';
import { createTestDatabase, postgresSkipReason } from './support/postgres.ts';

if (postgresSkipReason) {
  describe('metadata contract: Postgres server', { skip: postgresSkipReason }, () => {});
} else {
  // Both ways the API talks to a server: prepared statements (a direct connection, a session
  // pooler) and none (Supabase's transaction pooler, DATABASE_PREPARED_STATEMENTS).
  for (const prepare of [true, false]) registerContract(prepare);
}

function registerContract(prepare: boolean): void {
  metadataContract(`Postgres server, ${prepare ? 'prepared statements' : 'no prepared statements'}`, async () => {
    const database = await createTestDatabase();
    const caller = new PostgresCaller(database.url, { prepare });
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
