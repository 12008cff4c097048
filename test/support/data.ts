/** Deterministic test files of any size, streamed without holding them in memory, and their digests. */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK = 1024 * 1024;

export interface TestFile {
  size: number;
  sha256: string;
  /** A fresh stream of the same bytes each call. */
  chunks(): AsyncGenerator<Buffer>;
  stream(): Readable;
}

/** `size` bytes derived from `seed`: a random 1 MiB block, each repetition stamped with its index. */
export function patternFile(size: number, seed = randomBytes(8).toString('hex')): TestFile {
  const block = createHash('sha512').update(seed).digest();
  const base = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
  for (let offset = 0; offset < base.length; offset += block.length) block.copy(base, offset);
  function* generate(): Generator<Buffer> {
    for (let offset = 0, index = 0; offset < size; offset += CHUNK, index += 1) {
      const chunk = Buffer.from(base.subarray(0, Math.min(CHUNK, size - offset)));
      if (chunk.length >= 4) chunk.writeUInt32BE(index >>> 0, 0);
      yield chunk;
    }
  }
  const hash = createHash('sha256');
  for (const chunk of generate()) hash.update(chunk);
  const sha256 = hash.digest('hex');
  return {
    size,
    sha256,
    async *chunks() {
      yield* generate();
    },
    stream() {
      return Readable.from(generate(), { objectMode: false });
    },
  };
}

export function bufferFile(content: Buffer | string): TestFile {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return {
    size: bytes.length,
    sha256: sha256Of(bytes),
    async *chunks() {
      if (bytes.length > 0) yield bytes;
    },
    stream() {
      return Readable.from(bytes.length > 0 ? [bytes] : [], { objectMode: false });
    },
  };
}

export function sha256Of(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 and length of a response body, streamed. */
export async function digestResponse(response: Response): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
  }
  return { sha256: hash.digest('hex'), size };
}
