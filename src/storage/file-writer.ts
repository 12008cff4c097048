/**
 * A file write stream that can free each chunk once it is on disk, as the S3 store frees each
 * chunk once it is in a part buffer (releaseChunk in uploads/read-buffers.ts). Node's own
 * fs.WriteStream gives no word when a chunk is written, so an upload's socket reads stayed in
 * memory until the collector freed them. Closes with an fsync, so a rename never publishes bytes
 * that are still in the page cache only.
 */
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import { Writable } from 'node:stream';
import { releaseChunk } from '../uploads/read-buffers.ts';

export function fileWriter(file: string, options: { releaseChunks: boolean }): Writable {
  let handle: FileHandle | undefined;
  const release = (chunks: Uint8Array[]) => {
    if (options.releaseChunks) for (const chunk of chunks) releaseChunk(chunk);
  };
  return new Writable({
    construct(callback) {
      fs.open(file, 'w').then((opened) => {
        handle = opened;
        callback();
      }, callback);
    },
    write(chunk: Buffer, _encoding, callback) {
      (handle as FileHandle).write(chunk).then(() => {
        release([chunk]);
        callback();
      }, callback);
    },
    writev(chunks, callback) {
      const buffers = chunks.map(({ chunk }) => chunk as Buffer);
      (handle as FileHandle).writev(buffers).then(() => {
        release(buffers);
        callback();
      }, callback);
    },
    final(callback) {
      const opened = handle as FileHandle;
      handle = undefined;
      opened
        .sync()
        .then(() => opened.close())
        .then(() => callback(), callback);
    },
    destroy(error, callback) {
      const opened = handle;
      handle = undefined;
      if (!opened) return callback(error);
      opened.close().then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}
