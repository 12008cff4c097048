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
 * No full collection is forced, even after a burst: one after the pool dropped its buffers cut
 * the following verification read-backs to 0.60 of a plain GetObject, from 0.83 without it
 * (bench/README.md, session 7). The dropped buffers are collected when V8 next collects.
 * Nor while streaming: one a second whenever promoted read buffers passed 12 MiB held the memory
 * peaks but halved the read-back rate (0.49 against 0.99; session 8).
 *
 * The last reader of a chunk need not wait for any collection: releaseChunk frees it at once.
 * The S3 store, the filesystem store (storage/file-writer.ts) and the verification read-back do;
 * the filesystem store's direct-upload parts still rely on the young-generation collections.
 */
const RELEASE_EVERY = 8 * 1024 * 1024;
const collect = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
let streamedSinceCollection = 0;

/** Counts bytes that went through a stream; now and then collects the buffers they came in. */
export function noteStreamed(bytes: number): void {
  if (!collect) return;
  streamedSinceCollection += bytes;
  if (streamedSinceCollection < RELEASE_EVERY) return;
  streamedSinceCollection = 0;
  collect({ type: 'minor' });
}

/**
 * Frees a chunk's memory now, not when its wrapper is collected, by detaching its ArrayBuffer
 * (the chunk and every view of it become empty). Only the chunk's last reader may call it: the
 * store once the bytes are in a part buffer, a sink that discards them.
 *
 * Only a chunk that is the whole of its ArrayBuffer is released. Node allocates one for each
 * socket read it hands to JS, and busboy passes a file's data on as it came unless a boundary
 * falls in it. A view of a larger buffer (a slice cut around a boundary, Node's shared pool of
 * small Buffers) is left alone: its other views may still be read. So are resizable buffers,
 * which only the part-buffer pool makes.
 */
export function releaseChunk(chunk: Uint8Array): void {
  const { buffer } = chunk;
  if (!(buffer instanceof ArrayBuffer) || buffer.resizable) return;
  if (chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength || buffer.byteLength === 0) return;
  try {
    buffer.transfer(0);
  } catch {
    // Not detachable (V8 refuses for some buffers it owns): the collector frees it as before.
  }
}
