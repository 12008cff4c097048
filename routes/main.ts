/**
 * The process entry: V8's compile cache first, then the server. A module compiled before is read
 * from the cache instead of compiled again: about a tenth of a cold start (bench/README.md).
 * `npm run build` fills the cache (src/cli/warm-compile-cache.ts); without it, the first start
 * fills it. The cache is an optimization only: where its folder cannot be written, nothing changes.
 */
import module from 'node:module';
import { compileCacheFolder } from '../src/project-files.ts';

module.enableCompileCache?.(compileCacheFolder());
await import('./server.ts');
