/**
 * HMAC-SHA256 from a key prepared once (RFC 2104). Each `createHmac` costs ~10 µs under OpenSSL 3
 * (the MAC and the key are set up anew every call), which a manifest of 1,000 signed links pays
 * 1,000 times; a prepared key's inner and outer pads with two one-shot SHA-256s cost ~1.7 µs.
 * The result equals createHmac's for every key length (a test compares).
 */
import { hash } from 'node:crypto';

const BLOCK = 64;

/** The key's two pads: the key (hashed first when longer than a block) XOR 0x36 and XOR 0x5c. */
export interface HmacSha256Key {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

export function hmacSha256Key(secret: string | Buffer): HmacSha256Key {
  let key = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  if (key.length > BLOCK) key = hash('sha256', key, 'buffer');
  const pad = (byte: number) => {
    const block = Buffer.alloc(BLOCK, byte);
    for (let i = 0; i < key.length; i++) block[i] = (key[i] as number) ^ byte;
    return block;
  };
  return { inner: pad(0x36), outer: pad(0x5c) };
}

/** HMAC-SHA256(key, text) = SHA-256(outer ‖ SHA-256(inner ‖ text)). */
export function hmacSha256(key: HmacSha256Key, text: string): Buffer {
  const innerDigest = hash('sha256', Buffer.concat([key.inner, Buffer.from(text, 'utf8')]), 'buffer');
  return hash('sha256', Buffer.concat([key.outer, innerDigest]), 'buffer');
}
