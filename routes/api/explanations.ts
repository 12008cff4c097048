/** /explanations: thin HTTP over ExplanationService. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { explanationPatch, explanationSchema } from '../../src/explanations/schema.ts';
import { withUpload } from '../http/uploads.ts';
import { versionDownloadRoutes } from '../http/version-downloads.ts';
import {
  createExplanationForm,
  explanationPageSchema,
  explanationParams,
  listExplanationsQuery,
} from '../schemas/explanations.ts';

const tags = ['explanations'];

const explanations: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.explanations;

  app.post('/explanations', {
    config: { budget: 'uploads' },
    schema: {
      tags,
      operationId: 'createExplanation',
      summary: 'Upload an explanation (SHAP values, LIME output, plots) of a model',
      description:
        'multipart/form-data: `model` (id of a ready model), `method` (shap, lime, …), `params` (JSON object), ' +
        '`summary` (JSON object, at most 256 KiB), `description`, `tags`, then one or more `file` parts, the filename of each (or a `path` field before it) being its path within the version: e.g. `shap_values.parquet` beside `summary.json`.',
      consumes: ['multipart/form-data'],
      multipartBody: createExplanationForm,
      response: { 201: explanationSchema },
    },
    handler: async (request, reply) => {
      const explanation = await withUpload(request, (parts, context) => service.create(request.actor, parts, context));
      return reply.code(201).header('location', `/explanations/${explanation.id}`).send(explanation);
    },
  });

  app.get('/explanations', {
    schema: {
      tags,
      operationId: 'listExplanations',
      summary: 'List explanations, newest first',
      querystring: listExplanationsQuery,
      response: { 200: explanationPageSchema },
    },
    handler: async (request) => service.list(request.actor, request.query),
  });

  app.get('/explanations/:id', {
    schema: {
      tags,
      operationId: 'getExplanation',
      summary: 'Get an explanation, including its summary',
      params: explanationParams,
      response: { 200: explanationSchema },
    },
    handler: async (request) => service.get(request.actor, request.params.id),
  });

  app.patch('/explanations/:id', {
    schema: {
      tags,
      operationId: 'updateExplanation',
      summary: 'Change description, tags, summary or params',
      params: explanationParams,
      body: explanationPatch,
      response: { 200: explanationSchema },
    },
    handler: async (request) => service.update(request.actor, request.params.id, request.body),
  });

  app.delete('/explanations/:id', {
    schema: {
      tags,
      operationId: 'deleteExplanation',
      summary: 'Delete an explanation and its file',
      params: explanationParams,
      response: { 204: z.null().describe('Deleted') },
    },
    handler: async (request, reply) => {
      await service.delete(request.actor, request.params.id);
      return reply.code(204).send(null);
    },
  });

  versionDownloadRoutes(app, {
    prefix: '/explanations',
    tags,
    name: 'Explanation',
    service,
  });
};

export default explanations;
