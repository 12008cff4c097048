/**
 * Serves objects of the filesystem adapter through the API's own signed, expiring links
 * (Range requests included), so clients follow a URL exactly as they do with R2, and takes the
 * parts of direct uploads through signed PUT links, as R2's presigned UploadPart would.
 * Registered only for a store whose links the API serves itself (the filesystem adapter).
 */
import { PassThrough } from 'node:stream';
import send from '@fastify/send';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { attachmentDisposition } from '../../src/storage/content-disposition.ts';
import { SIGNATURE_PARAM } from '../../src/storage/download-signature.ts';
import { withRequestBody } from '../http/uploads.ts';

const objects: FastifyPluginAsyncZod = async (app) => {
  const storage = app.services.storage.selfServed;
  if (!storage) return;

  app.get('/objects/*', {
    // The link's signature is the credential; its count is bounded by the download-URL budget.
    config: { public: true },
    schema: {
      hide: true,
      params: z.object({ '*': z.string().min(1).max(2048) }),
      querystring: z.object({
        expires: z.coerce.number().int(),
        filename: z.string().max(1024),
        type: z.string().max(255),
        [SIGNATURE_PARAM]: z.string().max(128),
      }),
    },
    handler: async (request, reply) => {
      const key = request.params['*'];
      const { expires, filename, type } = request.query;
      const local = storage.resolveDownload({ key, expires, filename, contentType: type }, request.query[SIGNATURE_PARAM]);
      const urlPath = `/${key.split('/').map(encodeURIComponent).join('/')}`;
      const result = await send(request.raw, urlPath, {
        root: storage.root,
        dotfiles: 'allow',
        index: false,
        cacheControl: false,
        acceptRanges: true,
        etag: true,
        lastModified: true,
      });
      if (result.type === 'error') {
        const status = (result.metadata.error as { status?: number }).status ?? 500;
        if (status === 404) throw new AppError('not_found', 'The object no longer exists.');
        throw result.metadata.error;
      }
      reply.code(result.statusCode).headers(result.headers as Record<string, string>);
      if (result.statusCode === 200 || result.statusCode === 206) {
        reply.header('content-type', local.contentType).header('content-disposition', attachmentDisposition(local.filename));
        reply.header('cache-control', 'private, no-store');
      }
      return reply.send(result.stream);
    },
  });

  // A part's body is raw bytes of any type (a browser sends the file's own): no parser reads it here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.put('/objects/uploads/:uploadId/parts/:partNumber', {
    // The link's signature is the credential, as on R2.
    config: { public: true },
    schema: {
      hide: true,
      params: z.object({ uploadId: z.string().max(64), partNumber: z.coerce.number().int().min(1).max(10_000) }),
      querystring: z.object({
        owner: z.string().max(128).default(''),
        expires: z.coerce.number().int(),
        max: z.coerce.number().int().min(0),
        sha256: z.string().max(64).default(''),
        [SIGNATURE_PARAM]: z.string().max(128),
      }),
    },
    handler: async (request, reply) => {
      const { uploadId, partNumber } = request.params;
      const { owner, expires, max, sha256 } = request.query;
      const grant = { uploadId, owner, partNumber, expires, maxBytes: max, sha256 };
      // Before the part counts against its owner's cap: a forged link never takes a caller's slot.
      storage.checkPartLink(grant, request.query[SIGNATURE_PARAM]);
      const given = request.headers['x-amz-checksum-sha256'];
      if (sha256 && given !== sha256) {
        throw new AppError('part_link_invalid', 'This link was signed for a part checksum: send it as x-amz-checksum-sha256.');
      }
      // Piped, not handed over: a refused part (too large, wrong checksum) destroys only the
      // pipe, never the socket, so the 413/422 reaches the client (see http/linger.ts).
      const body = request.raw.pipe(new PassThrough());
      const { etag } = await withRequestBody(
        request,
        (signal) => storage.writePart(grant, request.query[SIGNATURE_PARAM], body, signal),
        // The session owner's cap, as their proxied uploads: a few sessions' parts cannot fill the server.
        owner,
      );
      return reply.code(200).header('etag', `"${etag}"`).send();
    },
  });
};

export default objects;
