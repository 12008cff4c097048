/**
 * An answer given before the request body was read (409, 413, 429...) is lost if the socket is
 * destroyed while the client is still sending: unread input makes the kernel reset the
 * connection, which can wipe the answer from the client's buffers, and the client reports
 * EPIPE or ECONNRESET instead. So the close lingers, as web servers do: the answer goes out
 * with `Connection: close`, our side of the socket ends (FIN), and the rest of the body is read
 * and dropped until the client stops or a bound passes (a refused upload of gigabytes must
 * not cost its whole transfer); only then is the socket destroyed.
 */
import type { IncomingMessage } from 'node:http';

export const LINGER_MAX_BYTES = 4 * 1024 * 1024;
export const LINGER_MAX_MS = 2000;

/** Call before sending the answer; it must carry `Connection: close`. */
export function lingerOnRefusal(raw: IncomingMessage): void {
  if (raw.complete || raw.destroyed) return;
  const socket = raw.socket;
  const startBytes = socket.bytesRead;
  const started = Date.now();
  // Node finishes a `Connection: close` answer with destroySoon(): end, then destroy at once.
  // Here it only ends; the timer below destroys.
  socket.destroySoon = () => {
    socket.end();
  };
  // Node's own dump of an unread body removes 'data' listeners, so progress is read off the socket.
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    const waited = Date.now() - started;
    if (socket.bytesRead - startBytes > LINGER_MAX_BYTES || waited > LINGER_MAX_MS || (raw.complete && socket.writableFinished)) {
      clearInterval(timer);
      socket.destroy();
    }
  }, 25);
  timer.unref();
  // The multipart parser may have stopped reading: take the body over and discard it.
  raw.unpipe();
  raw.resume();
}
