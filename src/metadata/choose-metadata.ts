/** The metadata adapter the configuration names, reachable and migrated before the server takes traffic. */
import fs from 'node:fs/promises';
import { ConfigError, type MetadataConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { PgliteCaller } from './pglite-caller.ts';
import type { PostgresCaller } from './postgres-caller.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';

// Adapters are imported only when chosen: a deployment never loads PGlite.
export async function createMetadataCaller(metadata: MetadataConfig, log: Logger): Promise<SqlFunctionCaller> {
  switch (metadata.kind) {
    case 'postgres': {
      const { PostgresCaller } = await import('./postgres-caller.ts');
      const caller = new PostgresCaller(metadata.url, { prepare: metadata.preparedStatements });
      try {
        await caller.check();
      } catch (error) {
        await caller.close();
        // One line naming the variable, never its value (it holds the password).
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? 'unreachable';
        throw new ConfigError(`Cannot start: DATABASE_URL: the database could not be reached (${cause})`);
      }
      await migrate(caller, log);
      return caller;
    }
    case 'pglite': {
      if (metadata.dataDir) await fs.mkdir(metadata.dataDir, { recursive: true });
      const { PgliteCaller } = await import('./pglite-caller.ts');
      const caller = await PgliteCaller.open(metadata.dataDir);
      await migrate(caller, log);
      return caller;
    }
    case 'supabase': {
      // The user applies the SQL with `npm run migrate`; we never alter their schema.
      const { SupabaseCaller } = await import('./supabase-caller.ts');
      return new SupabaseCaller({ url: metadata.url, serviceRoleKey: metadata.serviceRoleKey });
    }
  }
}

async function migrate(caller: PostgresCaller | PgliteCaller, log: Logger): Promise<void> {
  try {
    const applied = await caller.migrate();
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
  } catch (error) {
    await caller.close();
    throw error;
  }
}
