/**
 * A pass-through stream that counts bytes, hashes them with SHA-256 and fails the moment
 * the count passes the limit, so an oversize upload is stopped while it streams.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../errors.ts';
import { noteStreamed } from './read-buffers.ts';

export class UploadMeter extends Transform {
  bytes = 0;
  readonly #hash: Hash = createHash('sha256');
  readonly #maxBytes: number;
  readonly #observe: ((chunk: Buffer) => Promise<void> | undefined) | undefined;

  /**
   * `observe` sees every chunk that passes (dataset profiling), in order, once; when it returns
   * a promise, the stream waits for it (the observer's back-pressure).
   */
  constructor(maxBytes: number, observe?: (chunk: Buffer) => Promise<void> | undefined) {
    super();
    this.#maxBytes = maxBytes;
    this.#observe = observe;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#maxBytes) {
      callback(
        new AppError('file_too_large', `The file is larger than the limit of ${this.#maxBytes} bytes.`, {
          details: { maxBytes: this.#maxBytes },
        }),
      );
      return;
    }
    this.#hash.update(chunk);
    noteStreamed(chunk.length);
    const wait = this.#observe?.(chunk);
    if (wait) wait.then(() => callback(null, chunk), callback);
    else callback(null, chunk);
  }

  /** Hex SHA-256 of everything that passed; call once, after the stream ended. */
  sha256(): string {
    return this.#hash.digest('hex');
  }
}
