/**
 * Bytes streamed through the API (upload bodies, verification read-backs, filesystem parts)
 * arrive in buffers Node allocates per socket read and frees only when their small JS wrappers
 * are collected. At hundreds of MB/s the young generation fills far more slowly than those
 * buffers pile up, so they sit in RSS until V8's external-memory limit (about +64 MiB) forces a
 * full collection (measured: +75–90 MiB while one 1 GiB object was read back, any HTTP client).
 * With `--expose-gc` (npm start, the Docker image and the benchmark pass it), a young-generation
 * collection every RELEASE_EVERY bytes streamed frees them while they are few: well under a
 * millisecond each, about 1 % of a core at 300 MB/s. Without the flag (tests), nothing happens.
 *
 * Buffers that lived through two of those (waiting in a paused stream, say) are in the old
 * generation, which V8 collects only when memory grows further, and so are part buffers the
 * pool let go: they stayed in RSS until the next burst (measured in the bench: after the 1 GiB
 * uploads, a read-back peaked 171 MiB, 153 once they were collected). So once streaming has
 * been quiet for QUIET_MS, one full collection returns them: a few ms on this heap, once per burst.
 */
const RELEASE_EVERY = 8 * 1024 * 1024;
const QUIET_MS = 1000;
const collect = (globalThis as { gc?: (options: { type: 'minor' | 'major' }) => void }).gc;
let streamedSinceCollection = 0;
let quiet: NodeJS.Timeout | undefined;

/** Counts bytes that went through a stream; now and then collects the buffers they came in. */
export function noteStreamed(bytes: number): void {
  if (!collect) return;
  streamedSinceCollection += bytes;
  if (streamedSinceCollection < RELEASE_EVERY) return;
  streamedSinceCollection = 0;
  collect({ type: 'minor' });
  collectWhenQuiet();
}

/** One full collection once nothing has asked for one in QUIET_MS (after memory was let go). */
export function collectWhenQuiet(): void {
  if (!collect) return;
  if (quiet) {
    quiet.refresh();
    return;
  }
  quiet = setTimeout(() => {
    quiet = undefined;
    collect({ type: 'major' });
  }, QUIET_MS);
  quiet.unref();
}
