/**
 * The prepared-key HMAC equals node:crypto's createHmac for keys shorter than, as long as and
 * longer than a SHA-256 block, as strings or bytes, over empty, ASCII, multi-byte and long texts.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hmacSha256, hmacSha256Key } from '../src/storage/hmac-sha256.ts';

test('the prepared-key HMAC-SHA256 equals createHmac for every key length and text', () => {
  const texts = [
    '',
    'a',
    `AWS4-HMAC-SHA256\n20261128T123456Z\nscope\n${'f'.repeat(64)}`,
    'ü€𝄞\n'.repeat(100),
    'x'.repeat(10_000),
  ];
  for (const length of [0, 1, 20, 32, 63, 64, 65, 100, 200]) {
    const key = randomBytes(length);
    const prepared = hmacSha256Key(key);
    for (const text of texts) {
      assert.equal(
        hmacSha256(prepared, text).toString('hex'),
        createHmac('sha256', key).update(text).digest('hex'),
        `${length}-byte key`,
      );
    }
  }
  const secret = 'a configured secret of at least thirty-two characters, ü';
  assert.equal(
    hmacSha256(hmacSha256Key(secret), 'GET\nkey').toString('base64url'),
    createHmac('sha256', secret).update('GET\nkey').digest('base64url'),
  );
});
