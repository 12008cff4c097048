/**
 * The part-buffer pool: at most as many buffers as the upload budget allows, less what the
 * process reserves of it elsewhere; when a reservation shrinks it, buffers coming back beyond
 * it are dropped, and waiters are served again once it grows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartBufferPool } from '../src/storage/part-buffer-pool.ts';

test('a reservation shrinks the pool: buffers beyond it are dropped on release, and waiters are served when it grows', async () => {
  let reserved = 0;
  const pool = new PartBufferPool(1024, 4 * 1024, () => reserved);
  assert.equal(pool.count, 4);
  const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
  assert.equal(new Set(held).size, 4);
  reserved = 2 * 1024 + 1;
  pool.resize();
  assert.equal(pool.count, 1, 'what the budget leaves, in whole buffers');
  let served: Buffer | undefined;
  const waiter = pool.acquire().then((buffer) => {
    served = buffer;
  });
  // Three of the four come back and are dropped: the pool is over its new count.
  for (const buffer of held.slice(0, 3)) pool.release(buffer);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(served, undefined, 'the waiter still waits: one buffer is all the budget allows, and it is in use');
  assert.deepEqual(pool.stats, { inUse: 1, peakInUse: 4, allocated: 1, waiting: 1 });
  // The reservation ends: the waiter gets a buffer at once.
  reserved = 0;
  pool.resize();
  await waiter;
  assert.ok(served);
  assert.equal(pool.stats.allocated, 2);
  pool.release(held[3] as Buffer);
  pool.release(served);
  assert.deepEqual(pool.stats, { inUse: 0, peakInUse: 4, allocated: 2, waiting: 0 });
});

test('with readBytesPerPart, every buffer takes that much more of the budget: the reads that fill it', () => {
  const MiB = 1024 * 1024;
  assert.equal(new PartBufferPool(8 * MiB, 128 * MiB).count, 16);
  assert.equal(new PartBufferPool(8 * MiB, 128 * MiB, () => 0, { readBytesPerPart: MiB }).count, 14);
  assert.equal(new PartBufferPool(8 * MiB, 128 * MiB, () => 48 * MiB, { readBytesPerPart: MiB }).count, 8);
});

test('never fewer than one buffer, whatever is reserved', async () => {
  const pool = new PartBufferPool(1024, 2048, () => 1024 * 1024);
  assert.equal(pool.count, 1);
  const buffer = await pool.acquire();
  assert.equal(buffer.length, 1024);
  pool.release(buffer);
});

test('a buffer left free for the idle time is dropped, while others are in use too; a new upload allocates again', async () => {
  const pool = new PartBufferPool(1024, 4 * 1024, () => 0, { idleMs: 50 });
  const held = await Promise.all([pool.acquire(), pool.acquire()]);
  pool.release(held[0] as Buffer);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pool.stats.allocated, 2, 'kept for reuse within the idle time');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(pool.stats.allocated, 1, 'dropped after it, though the other buffer is still in use');
  assert.equal(held[0]?.length, 0);
  assert.equal(held[1]?.length, 1024, 'the buffer in use is untouched');
  pool.release(held[1] as Buffer);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(pool.stats.allocated, 0, 'dropped after the idle time');
  assert.deepEqual(
    held.map((buffer) => buffer.length),
    [0, 0],
    'their memory is given back at once: what is left of them is empty',
  );
  const again = await pool.acquire();
  assert.equal(again.length, 1024);
  assert.equal(pool.stats.allocated, 1);
  pool.release(again);
});

test('after a burst, a steady load keeps only the buffers it uses: the ones free the longest go', async () => {
  const pool = new PartBufferPool(1024, 8 * 1024, () => 0, { idleMs: 60 });
  const burst = await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
  for (const buffer of burst) pool.release(buffer);
  assert.equal(pool.stats.allocated, 6);
  // One upload keeps taking and giving back a buffer, never leaving the pool unused.
  const started = performance.now();
  while (performance.now() - started < 250) {
    const buffer = await pool.acquire();
    await new Promise((resolve) => setTimeout(resolve, 5));
    pool.release(buffer);
  }
  assert.equal(pool.stats.allocated, 1, 'the five buffers the steady load never took again are gone');
});

test('dropping buffers gives their memory back to the system at once, not when the garbage collector runs', async () => {
  const partSize = 8 * 1024 * 1024;
  const pool = new PartBufferPool(partSize, 8 * partSize, () => 0, { idleMs: 10 });
  const held = await Promise.all(Array.from({ length: 8 }, () => pool.acquire()));
  for (const buffer of held) buffer.fill(1);
  const full = process.memoryUsage.rss();
  for (const buffer of held) pool.release(buffer);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(pool.stats.allocated, 0);
  // 64 MiB were resident; at least most of them are gone while `held` still references every view.
  const freed = full - process.memoryUsage.rss();
  assert.ok(freed > 48 * 1024 * 1024, `resident memory fell by ${Math.round(freed / 1024 / 1024)} MiB`);
  assert.equal(held.length, 8);
});
