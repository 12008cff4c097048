/**
 * The routes every versioned kind has (models, explanations), registered once: upload a version
 * (one or more files), get, patch and delete it, download its file when it has one and each file
 * by its id. Each kind's route plugin adds only its own routes (lists, `latest`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Actor } from '../../src/domain.ts';
import type { DownloadLink, DownloadRequest } from '../../src/downloads.ts';
import type { IncomingPart, UploadContext } from '../../src/uploads/parts.ts';
import { booleanQuery, downloadLinkSchema, downloadQuery, uuidParam } from '../schemas/common.ts';
import { downloadRequestOf, sendDownload } from './downloads.ts';
import { withUpload } from './uploads.ts';

/** What the routes call: a kind's service (VersionService and its own delete). */
export interface VersionRoutesService<R> {
  create(actor: Actor, parts: AsyncIterable<IncomingPart>, context: UploadContext): Promise<R>;
  get(actor: Actor, id: string): Promise<R>;
  update(actor: Actor, id: string, patch: Record<string, unknown>): Promise<R>;
  delete(actor: Actor, id: string, cascade: boolean): Promise<void>;
  download(actor: Actor, id: string, request: DownloadRequest): Promise<DownloadLink>;
  downloadFile(actor: Actor, id: string, fileId: string, request: DownloadRequest): Promise<DownloadLink>;
}

export interface VersionRoutes<R extends { id: string }> {
  /** The collection's path, e.g. /models. */
  prefix: string;
  tags: string[];
  /** e.g. Model: operation ids createModel, getModel, …, downloadModelFile. */
  name: string;
  service: VersionRoutesService<R>;
  record: z.ZodType;
  patch: z.ZodType;
  /** The multipart form, as OpenAPI shows it. */
  form: Record<string, unknown>;
  summaries: { create: string; get: string; patch: string; delete: string };
  createDescription: string;
  /** Said on every route that returns or serves the version (a model's safety warning). */
  notice?: string;
  /** Deleting takes ?cascade=true (it removes dependants too), with this description. */
  cascade?: string;
}

type Registrar = Parameters<FastifyPluginAsyncZod>[0];

export function versionRoutes<R extends { id: string }>(app: Registrar, routes: VersionRoutes<R>): void {
  const { prefix, tags, name, service } = routes;
  const what = name.toLowerCase();
  const notice = routes.notice ? ` ${routes.notice}` : '';
  const params = z.object({ id: uuidParam });
  const downloadAnswers = { 200: downloadLinkSchema, 302: z.null().describe('Redirect to the download URL') };

  app.post(prefix, {
    config: { budget: 'uploads' },
    schema: {
      tags,
      operationId: `create${name}`,
      summary: routes.summaries.create,
      description: `${routes.createDescription}${notice}`,
      consumes: ['multipart/form-data'],
      multipartBody: routes.form,
      response: { 201: routes.record },
    },
    handler: async (request, reply) => {
      const created = await withUpload(request, (parts, context) => service.create(request.actor, parts, context));
      return reply.code(201).header('location', `${prefix}/${created.id}`).send(created);
    },
  });

  app.get(`${prefix}/:id`, {
    schema: {
      tags,
      operationId: `get${name}`,
      summary: routes.summaries.get,
      description: notice.trim(),
      params,
      response: { 200: routes.record },
    },
    handler: async (request) => service.get(request.actor, request.params.id),
  });

  app.patch(`${prefix}/:id`, {
    schema: {
      tags,
      operationId: `update${name}`,
      summary: routes.summaries.patch,
      params,
      body: routes.patch,
      response: { 200: routes.record },
    },
    handler: async (request) => service.update(request.actor, request.params.id, request.body as Record<string, unknown>),
  });

  app.delete(`${prefix}/:id`, {
    schema: {
      tags,
      operationId: `delete${name}`,
      summary: routes.summaries.delete,
      ...(routes.cascade ? { description: routes.cascade, querystring: z.strictObject({ cascade: booleanQuery }) } : {}),
      params,
      response: { 204: z.null().describe('Deleted') },
    },
    handler: async (request, reply) => {
      const { cascade } = request.query as { cascade?: boolean };
      await service.delete(request.actor, request.params.id, cascade ?? false);
      return reply.code(204).send(null);
    },
  });

  app.get(`${prefix}/:id/download`, {
    config: { budget: 'downloads' },
    schema: {
      tags,
      operationId: `download${name}`,
      summary: `Get a short-lived download URL for the ${what} file`,
      description: `For a ${what} of one file. One of several files answers 409 multiple_files, naming them: download each by its id.${notice}`,
      params,
      querystring: downloadQuery,
      response: downloadAnswers,
    },
    handler: async (request, reply) => {
      const link = await service.download(request.actor, request.params.id, downloadRequestOf(request, request.query.expiresIn));
      return sendDownload(reply, link, request.query.redirect);
    },
  });

  app.get(`${prefix}/:id/files/:fileId/download`, {
    config: { budget: 'downloads' },
    schema: {
      tags,
      operationId: `download${name}File`,
      summary: `Get a short-lived download URL for one file of a ${what}`,
      description: `Any file listed in the ${what}'s files.${notice}`,
      params: params.extend({ fileId: uuidParam }),
      querystring: downloadQuery,
      response: downloadAnswers,
    },
    handler: async (request, reply) => {
      const { id, fileId } = request.params;
      const link = await service.downloadFile(request.actor, id, fileId, downloadRequestOf(request, request.query.expiresIn));
      return sendDownload(reply, link, request.query.redirect);
    },
  });
}
