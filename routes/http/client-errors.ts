/**
 * Requests that never become requests (headers too large, malformed HTTP, header timeout):
 * answered on the raw socket, but as problem details like everything else.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';

export const rawSocketAnswers: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', detail: 'The request headers are larger than allowed.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'The request took too long to arrive.' },
};

export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer = rawSocketAnswers[error.code ?? ''] ?? {
    status: 400,
    code: 'malformed_request',
    detail: 'The request is not valid HTTP.',
  };
  const title = http.STATUS_CODES[answer.status] ?? 'Error';
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status: answer.status,
    code: answer.code,
    detail: answer.detail,
    requestId: randomUUID(),
  });
  socket.end(
    `HTTP/1.1 ${answer.status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
