/**
 * Adapts a Fastify multipart request to the core's upload input: its parts in arrival order
 * and a signal that aborts when the client disconnects or the server gives up on uploads.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../src/errors.ts';
import { parseDigestHeader } from '../../src/fields/digests.ts';
import { STALL_MIN_BYTES } from '../../src/uploads/in-flight-uploads.ts';
import type { IncomingPart, UploadContext } from '../../src/uploads/parts.ts';

async function* partsOf(request: FastifyRequest, signal: AbortSignal): AsyncGenerator<IncomingPart> {
  const parts = request.parts()[Symbol.asyncIterator]();
  // The parser waits on the socket; an abort (a stall, a shutdown) must not wait with it.
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  try {
    for (;;) {
      const next = await Promise.race([parts.next(), aborted]);
      if (next.done) return;
      const part = next.value;
      if (part.type === 'file') {
        const stream = part.file;
        yield { kind: 'file', name: part.fieldname, filename: part.filename, stream, truncated: () => stream.truncated };
      } else {
        yield { kind: 'field', name: part.fieldname, value: String(part.value ?? ''), truncated: part.valueTruncated };
      }
    }
  } finally {
    // As for-await would on an early exit; not awaited, as the parser may be waiting on a stalled socket.
    void parts.return?.(undefined)?.catch(() => {});
  }
}

/** Runs `work` with the request's parts; the upload is tracked for graceful shutdown. */
export async function withUpload<T>(
  request: FastifyRequest,
  work: (parts: AsyncIterable<IncomingPart>, context: UploadContext) => Promise<T>,
): Promise<T> {
  if (!request.isMultipart()) {
    throw new AppError('unsupported_media_type', 'Send the upload as multipart/form-data.');
  }
  const headerSha256 = parseDigestHeader(
    (request.headers['repr-digest'] as string | undefined) ?? (request.headers['content-digest'] as string | undefined),
  );
  return withRequestBody(request, (signal) => work(partsOf(request, signal), { signal, headerSha256 }));
}

/**
 * Runs `work` over a request body that streams into storage: counted against the upload caps,
 * aborted when the client disconnects, when the body stalls, or when a shutdown gives up on it.
 */
export async function withRequestBody<T>(
  request: FastifyRequest,
  work: (signal: AbortSignal) => Promise<T>,
  /** Whose cap the body counts against; signed links (no principal) name their own. */
  caller: string = request.principal.id,
): Promise<T> {
  const uploads = request.server.services.uploads;
  const client = new AbortController();
  const tracked = uploads.track(caller, client.signal);
  const onClose = () => {
    if (!request.raw.complete) client.abort(new AppError('malformed_multipart', 'The client disconnected during the upload.'));
  };
  request.raw.once('close', onClose);
  let stopWatching = () => {};
  try {
    if (!fitsOneRead(request)) await waitForTurn(request, tracked.turn());
    stopWatching = watchForStall(request, uploads.limits.idleTimeoutMs, (error) => client.abort(error));
    return await work(tracked.signal);
  } finally {
    stopWatching();
    tracked.done();
    request.raw.off('close', onClose);
  }
}

/**
 * A body no larger than one socket read is in memory once it arrives, whether or not it waits:
 * such requests (a dataset created with fields only, a small model) skip the turn, so they are
 * not queued behind large uploads.
 */
const ONE_READ_BYTES = 64 * 1024;

function fitsOneRead(request: FastifyRequest): boolean {
  const length = Number(request.headers['content-length']);
  return Number.isFinite(length) && length <= ONE_READ_BYTES;
}

/**
 * Waits for the upload's turn to read its body (InFlightUploads). Its socket is quiet meanwhile,
 * by our choice, so the server's idle-socket timeout is suspended until the turn comes.
 */
async function waitForTurn(request: FastifyRequest, turn: Promise<void>): Promise<void> {
  const socket = request.raw.socket;
  const timeout = socket.timeout;
  socket.setTimeout(0);
  try {
    await turn;
  } finally {
    if (timeout) socket.setTimeout(timeout);
  }
}

/**
 * Aborts an upload whose body stalls: fewer than STALL_MIN_BYTES arrive in `windowMs` while we
 * are reading. Time the request spends paused by our own back-pressure (waiting for a part
 * buffer) is not the client's fault and does not count. Well under Railway's 15-minute limit,
 * a stalled upload gives its socket and its part buffer back.
 */
function watchForStall(request: FastifyRequest, windowMs: number, abort: (error: AppError) => void): () => void {
  if (windowMs === 0) return () => {};
  const socket = request.raw.socket;
  let windowStart = Date.now();
  let bytesAtStart = socket.bytesRead;
  const tick = Math.min(1000, Math.max(50, Math.floor(windowMs / 10)));
  const timer = setInterval(() => {
    const now = Date.now();
    if (request.raw.complete) return clearInterval(timer);
    if (request.raw.isPaused() || socket.bytesRead - bytesAtStart >= STALL_MIN_BYTES) {
      windowStart = now;
      bytesAtStart = socket.bytesRead;
    } else if (now - windowStart >= windowMs) {
      clearInterval(timer);
      abort(
        new AppError(
          'upload_stalled',
          `The upload sent less than ${STALL_MIN_BYTES} bytes in ${windowMs / 1000} s; send it again.`,
        ),
      );
    }
  }, tick);
  timer.unref();
  return () => clearInterval(timer);
}
