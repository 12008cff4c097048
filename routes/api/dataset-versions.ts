/** /datasets/{dataset}/versions: a dataset's immutable versions, one whole with links, and what was made from it. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { datasetVersionSchema } from '../../src/datasets/schema.ts';
import { datasetVersionLineageSchema } from '../../src/lineage/schema.ts';
import { absoluteUrl } from '../http/base-url.ts';
import { downloadRequestOf } from '../http/downloads.ts';
import { listQuery } from '../schemas/common.ts';
import { datasetParams } from '../schemas/datasets.ts';
import { datasetVersionPageSchema, datasetVersionParams, datasetVersionQuery } from '../schemas/versions.ts';

const tags = ['datasets'];

const datasetVersions: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.datasets;

  app.get('/datasets/:dataset/versions', {
    schema: {
      tags,
      operationId: 'listDatasetVersions',
      summary: "A dataset's versions, newest first",
      description:
        'Every change to the file set (an upload request, a completed direct upload, a deleted file) made one immutable version.',
      params: datasetParams,
      querystring: z.strictObject(listQuery),
      response: { 200: datasetVersionPageSchema },
    },
    handler: async (request) => service.versions(request.actor, request.params.dataset, request.query),
  });

  app.get('/datasets/:dataset/versions/:ref', {
    config: { budget: 'downloads' },
    schema: {
      tags,
      operationId: 'getDatasetVersion',
      summary: 'One version with its files (by number, latest or alias); with links=true, a signed URL per file',
      description:
        'The digest is the SHA-256 (hex) of the canonical manifest: the JSON array of {"path","sha256","size"} objects of ' +
        'the files, sorted by path (code-point order), keys in that order, no whitespace, UTF-8. Recompute it to check a ' +
        'snapshot you fetched.',
      params: datasetVersionParams,
      querystring: datasetVersionQuery,
      response: { 200: datasetVersionSchema },
    },
    handler: async (request, reply) => {
      const { dataset, ref } = request.params;
      const links = request.query.links ? downloadRequestOf(request, request.query.expiresIn) : undefined;
      const version = await service.version(request.actor, dataset, ref, links);
      if (!links) return version;
      reply.header('cache-control', 'no-store');
      return { ...version, files: version.files?.map((file) => ({ ...file, url: absoluteUrl(request, file.url ?? '') })) };
    },
  });

  app.delete('/datasets/:dataset/versions/:ref', {
    schema: {
      tags,
      operationId: 'deleteDatasetVersion',
      summary: 'Prune an old version (and the bytes only it held)',
      description:
        'Frees the storage of overwritten and deleted files. 409 version_in_use for the latest version, one a model or ' +
        'explanation pins, or one an alias names. The other versions, their files and digests are unchanged; numbers are ' +
        'never reused.',
      // By number only: pruning by an alias would remove what the alias names.
      params: datasetParams.extend({ ref: z.coerce.number().int().min(1).max(999_999_999).describe('A version number.') }),
      response: { 204: z.null().describe('Deleted') },
    },
    handler: async (request, reply) => {
      await service.deleteVersion(request.actor, request.params.dataset, request.params.ref);
      return reply.code(204).send(null);
    },
  });

  app.get('/datasets/:dataset/versions/:ref/lineage', {
    schema: {
      tags,
      operationId: 'getDatasetVersionLineage',
      summary: 'The models and explanations made from one dataset version',
      params: datasetVersionParams,
      response: { 200: datasetVersionLineageSchema },
    },
    handler: async (request) => service.lineage(request.actor, request.params.dataset, request.params.ref),
  });
};

export default datasetVersions;
