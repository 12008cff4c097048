/**
 * Aliases: PUT|GET|DELETE /datasets/{dataset}/aliases/{alias} (a dataset version) and
 * /datasets/{dataset}/models/{name}/aliases/{alias} (a model version), each with its history.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { aliasBody, aliasSchema } from '../../src/aliases/schema.ts';
import { aliasHistoryQuery, aliasHistorySchema, datasetAliasParams, modelAliasParams } from '../schemas/versions.ts';

const aliases: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.aliases;

  for (const scope of [
    { path: '/datasets/:dataset/aliases/:alias', params: datasetAliasParams, name: 'DatasetAlias', what: 'dataset version' },
    {
      path: '/datasets/:dataset/models/:name/aliases/:alias',
      params: modelAliasParams,
      name: 'ModelAlias',
      what: 'model version',
    },
  ] as const) {
    const tags = [scope.name === 'DatasetAlias' ? 'datasets' : 'models'];
    const targetOf = (params: { dataset: string; name?: string }) => ({ dataset: params.dataset, model: params.name });

    app.put(scope.path, {
      schema: {
        tags,
        operationId: `set${scope.name}`,
        summary: `Point an alias at a ${scope.what} (set or move; every move is kept)`,
        description:
          'Alias names: lowercase letters, digits, - and _, starting with a letter, at most 64 characters; latest is reserved ' +
          `(400 invalid_alias). A version that does not exist is 404. Use the alias wherever a ${scope.what} is accepted.`,
        params: scope.params,
        body: aliasBody,
        response: { 200: aliasSchema },
      },
      handler: async (request) =>
        service.set(request.actor, targetOf(request.params), request.params.alias, request.body.version),
    });

    app.get(scope.path, {
      schema: {
        tags,
        operationId: `get${scope.name}`,
        summary: `The ${scope.what} an alias names`,
        params: scope.params,
        response: { 200: aliasSchema },
      },
      handler: async (request) => service.get(request.actor, targetOf(request.params), request.params.alias),
    });

    app.delete(scope.path, {
      schema: {
        tags,
        operationId: `delete${scope.name}`,
        summary: 'Remove an alias (its history stays)',
        params: scope.params,
        response: { 204: z.null().describe('Removed') },
      },
      handler: async (request, reply) => {
        await service.delete(request.actor, targetOf(request.params), request.params.alias);
        return reply.code(204).send(null);
      },
    });

    app.get(`${scope.path}/history`, {
      schema: {
        tags,
        operationId: `get${scope.name}History`,
        summary: "An alias's moves, newest first (version null: removed)",
        description: 'With at=<instant>: only moves at or before it, so the first item is what the alias named then.',
        params: scope.params,
        querystring: aliasHistoryQuery,
        response: { 200: aliasHistorySchema },
      },
      handler: async (request) => service.history(request.actor, targetOf(request.params), request.params.alias, request.query),
    });
  }
};

export default aliases;
