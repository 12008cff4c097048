/**
 * The process entry: V8's compile cache first, then the server. A module compiled before is read
 * from the cache instead of compiled again (a few percent of a cold start; bench/README.md). The
 * cache is an optimization only: where its folder cannot be written, nothing changes.
 *
 * `--warm-compile-cache` (npm run build; the Docker image keeps the result) fills the cache with
 * every module a start may load, the adapters chosen at run time included, and starts nothing:
 * loading a module runs only its top level.
 */
import module from 'node:module';
import { compileCacheFolder } from '../src/project-files.ts';

module.enableCompileCache?.(compileCacheFolder());
if (process.argv.includes('--warm-compile-cache')) {
  await import('./app.ts');
  await import('../src/metadata/postgres-caller.ts');
  await import('../src/metadata/pglite-caller.ts');
  await import('../src/metadata/supabase-caller.ts');
  await import('../src/storage/s3-storage.ts');
  module.flushCompileCache?.();
} else {
  await import('./server.ts');
}
