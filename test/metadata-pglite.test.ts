import { PgliteCaller } from '../src/metadata/pglite-caller.ts';
import { metadataContract } from './metadata-contract.ts';

metadataContract('PGlite (in memory)', async () => {
  const caller = await PgliteCaller.open(undefined);
  await caller.migrate();
  return { caller, close: () => caller.close() };
});
