/**
 * Fills V8's compile cache (routes/main.ts) at build time with every module a start may load,
 * the adapters chosen at run time included, so that the first start of an image is as quick as
 * the next ones. Loading a module here runs only its top level: nothing starts or connects.
 */
import module from 'node:module';
import { compileCacheFolder } from '../project-files.ts';

const enabled = module.enableCompileCache?.(compileCacheFolder());
await import('../../routes/app.ts');
await import('../metadata/postgres-caller.ts');
await import('../metadata/pglite-caller.ts');
await import('../metadata/supabase-caller.ts');
await import('../storage/s3-storage.ts');
module.flushCompileCache?.();
process.stdout.write(`compile cache: ${enabled?.directory ?? 'unavailable'}\n`);
