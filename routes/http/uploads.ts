/**
 * Adapts a Fastify multipart request to the core's upload input: its parts in arrival order
 * and a signal that aborts when the client disconnects or the server gives up on uploads.
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../src/errors.ts';
import { parseDigestHeader } from '../../src/uploads/digests.ts';
import type { IncomingPart, UploadContext } from '../../src/uploads/parts.ts';

async function* partsOf(request: FastifyRequest): AsyncGenerator<IncomingPart> {
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const stream = part.file;
      yield { kind: 'file', name: part.fieldname, filename: part.filename, stream, truncated: () => stream.truncated };
    } else {
      yield { kind: 'field', name: part.fieldname, value: String(part.value ?? ''), truncated: part.valueTruncated };
    }
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
  const client = new AbortController();
  const onClose = () => {
    if (!request.raw.complete) client.abort(new AppError('malformed_multipart', 'The client disconnected during the upload.'));
  };
  request.raw.once('close', onClose);
  const tracked = request.server.services.uploads.track(client.signal);
  try {
    return await work(partsOf(request), { signal: tracked.signal, headerSha256 });
  } finally {
    tracked.done();
    request.raw.off('close', onClose);
  }
}
