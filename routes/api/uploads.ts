/** /uploads: direct uploads, thin HTTP over DirectUploadService. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { absoluteUrl } from '../http/base-url.ts';
import { openUploadBody, partsAnswer, partsBody, uploadParams, uploadSessionSchema } from '../schemas/uploads.ts';

const tags = ['uploads'];

const uploads: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.directUploads;

  app.post('/uploads', {
    config: { budget: 'uploads' },
    schema: {
      tags,
      operationId: 'openUpload',
      summary: 'Open a direct upload: the file goes to the object store in presigned parts',
      description:
        'For large files and resumable uploads: the bytes never pass through the API. Every check of the ' +
        'multipart/form-data upload happens here, before any byte moves (names, extension 415, size 413, ownership 404, ' +
        '`file_exists` 409). PUT each part to its URL (ask for more at /uploads/{id}/parts), then POST /uploads/{id}/complete.',
      body: openUploadBody,
      response: { 201: uploadSessionSchema },
    },
    handler: async (request, reply) => {
      const session = await service.open(request.actor, request.body);
      const parts = session.parts?.map((part) => ({ ...part, url: absoluteUrl(request, part.url) }));
      return reply
        .code(201)
        .header('location', `/uploads/${session.id}`)
        .send({ ...session, parts });
    },
  });

  app.post('/uploads/:id/parts', {
    schema: {
      tags,
      operationId: 'signUploadParts',
      summary: 'Fresh PUT URLs for parts of a direct upload',
      description: 'Signed on every call, so a resumed upload never holds an expired URL.',
      params: uploadParams,
      body: partsBody,
      response: { 200: partsAnswer },
    },
    handler: async (request) => {
      const { partNumbers, sha256, expiresIn } = request.body;
      const parts = await service.signParts(request.actor, request.params.id, {
        partNumbers,
        sha256,
        expiresInSeconds: expiresIn,
      });
      return { parts: parts.map((part) => ({ ...part, url: absoluteUrl(request, part.url) })) };
    },
  });

  app.get('/uploads/:id', {
    schema: {
      tags,
      operationId: 'getUpload',
      summary: 'A direct upload: its state, the parts the store holds, and its result or problem',
      params: uploadParams,
      response: { 200: uploadSessionSchema },
    },
    handler: async (request) => service.get(request.actor, request.params.id),
  });

  app.post('/uploads/:id/complete', {
    schema: {
      tags,
      operationId: 'completeUpload',
      summary: 'Finish a direct upload: assemble the parts and verify size and SHA-256',
      description:
        '409 `upload_incomplete` lists missing or wrong-size parts (the upload stays open). Otherwise 202: the server reads ' +
        'the object back once and the session becomes `ready` (with `result`) or `failed` (with `problem`); poll GET /uploads/{id}.',
      params: uploadParams,
      response: { 202: uploadSessionSchema },
    },
    handler: async (request, reply) => {
      const session = await service.complete(request.actor, request.params.id);
      return reply.code(202).header('location', `/uploads/${session.id}`).send(session);
    },
  });

  app.delete('/uploads/:id', {
    schema: {
      tags,
      operationId: 'abortUpload',
      summary: 'Abort a direct upload: its parts and reservation are removed',
      params: uploadParams,
      response: { 204: z.null().describe('Aborted') },
    },
    handler: async (request, reply) => {
      await service.abort(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  });
};

export default uploads;
