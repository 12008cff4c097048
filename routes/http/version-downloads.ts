/**
 * The download routes every versioned kind has (models, explanations): the version's file when
 * it has exactly one, and each file by its id.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { VersionService } from '../../src/versions/version-service.ts';
import { downloadLinkSchema, downloadQuery, uuidParam } from '../schemas/common.ts';
import { downloadRequestOf, sendDownload } from './downloads.ts';

export interface VersionDownloadRoutes {
  /** The collection's path, e.g. /models. */
  prefix: string;
  tags: string[];
  /** e.g. Model: operation ids downloadModel and downloadModelFile. */
  name: string;
  description?: string;
  service: Pick<VersionService<never, never>, 'download' | 'downloadFile'>;
}

type Registrar = Parameters<FastifyPluginAsyncZod>[0];

export function versionDownloadRoutes(app: Registrar, routes: VersionDownloadRoutes): void {
  const { prefix, tags, name, service } = routes;
  const what = name.toLowerCase();
  const response = { 200: downloadLinkSchema, 302: z.null().describe('Redirect to the download URL') };
  const description = routes.description ? ` ${routes.description}` : '';

  app.get(`${prefix}/:id/download`, {
    config: { budget: 'downloads' },
    schema: {
      tags,
      operationId: `download${name}`,
      summary: `Get a short-lived download URL for the ${what} file`,
      description: `For a ${what} of one file. One of several files answers 409 multiple_files, naming them: download each by its id.${description}`,
      params: z.object({ id: uuidParam }),
      querystring: downloadQuery,
      response,
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
      description: `Any file listed in the ${what}'s files.${description}`,
      params: z.object({ id: uuidParam, fileId: uuidParam }),
      querystring: downloadQuery,
      response,
    },
    handler: async (request, reply) => {
      const { id, fileId } = request.params;
      const link = await service.downloadFile(request.actor, id, fileId, downloadRequestOf(request, request.query.expiresIn));
      return sendDownload(reply, link, request.query.redirect);
    },
  });
}
