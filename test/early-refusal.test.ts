/**
 * An upload refused before its body is read still reaches the client as an answer. The client
 * here behaves as fetch does: it keeps sending its body and reads the answer only afterwards.
 * If the server destroyed the socket with unread input, the reset would wipe the answer.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startApp, type TestApp } from './support/app.ts';
import { upload } from './support/multipart.ts';

/** Sends a multipart request whose body is `bodyBytes` long, in pieces, reading nothing until it has all been sent. */
function sendThenRead(baseUrl: string, path: string, bodyBytes: number): Promise<string> {
  const { port } = new URL(baseUrl);
  const boundary = 'lingertest';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\ntaken\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const filler = bodyBytes - head.length - tail.length;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.pause();
    socket.on('error', (error) => reject(error));
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(received).toString('latin1')));
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: ${bodyBytes}\r\n\r\n`,
    );
    socket.write(head);
    // The server answers 409 now, before the file's bytes; the client goes on sending them.
    setTimeout(async () => {
      const piece = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < filler; sent += piece.length) {
        const size = Math.min(piece.length, filler - sent);
        if (!socket.write(piece.subarray(0, size))) await new Promise((done) => setTimeout(done, 5));
        if (socket.destroyed) break;
      }
      socket.write(tail);
      setTimeout(() => socket.resume(), 200);
    }, 300);
  });
}

describe('early refusals', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ backend: 'embedded' });
    assert.equal((await upload(`${app.baseUrl}/datasets`, [{ name: 'name', value: 'taken' }])).status, 201);
  });
  after(() => app?.close());

  test('a 409 given before the body is read reaches a client that sends 1 MiB more before reading', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await sendThenRead(app.baseUrl, '/datasets', 1024 * 1024);
      assert.match(answer, /^HTTP\/1\.1 409 /, `attempt ${attempt}: ${answer.slice(0, 80)}`);
      assert.match(answer, /connection: close/i);
      assert.match(answer, /"code":"dataset_exists"/);
    }
    assert.equal((await app.rowCounts()).datasets, 1, 'nothing was added');
  });
});
