/**
 * releaseChunk frees a socket read's memory at once, and touches nothing another reader may
 * still hold: a slice of a larger buffer, Node's pool of small Buffers, a resizable buffer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseChunk } from '../src/uploads/read-buffers.ts';

test('a chunk that is the whole of its buffer is emptied (its memory freed); any other view is left as it was', () => {
  const whole = Buffer.alloc(64 * 1024, 1);
  releaseChunk(whole);
  assert.equal(whole.length, 0, 'released: the view is empty');
  assert.equal(whole.buffer.byteLength, 0, 'and so is its buffer, detached');

  const read = Buffer.alloc(64 * 1024, 2);
  const slice = read.subarray(100, 200);
  releaseChunk(slice);
  assert.equal(slice.length, 100, 'a slice is not released');
  assert.equal(read.length, 64 * 1024, 'nor the buffer it is cut from');

  const pooled = Buffer.from('a small chunk from the shared pool');
  const neighbour = Buffer.from('its neighbour in that pool');
  assert.equal(pooled.buffer, neighbour.buffer, 'the two share one pool buffer');
  releaseChunk(pooled);
  assert.equal(pooled.toString(), 'a small chunk from the shared pool');
  assert.equal(neighbour.toString(), 'its neighbour in that pool');

  const resizable = new Uint8Array(new ArrayBuffer(1024, { maxByteLength: 1024 })).fill(3);
  releaseChunk(resizable);
  assert.equal(resizable.length, 1024, 'a part buffer (resizable) is never released');
  assert.equal(resizable[1023], 3);

  const empty = Buffer.alloc(0);
  releaseChunk(empty);
  assert.equal(empty.length, 0);
});
