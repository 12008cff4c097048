/** /models: thin HTTP over ModelService. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { modelPatch, modelSchema } from '../../src/models/schema.ts';
import { withUpload } from '../http/uploads.ts';
import { versionDownloadRoutes } from '../http/version-downloads.ts';
import { booleanQuery } from '../schemas/common.ts';
import { datasetParams } from '../schemas/datasets.ts';
import { createModelForm, listModelsQuery, modelPageSchema, modelParams } from '../schemas/models.ts';

const tags = ['models'];
const SAFETY =
  ' Model files are often Python pickles: `safeToLoad` is false for pickle, joblib, PyTorch and Keras files, which can run ' +
  'arbitrary code when loaded. The server never loads a model.';

const models: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.models;

  app.post('/models', {
    config: { budget: 'uploads' },
    schema: {
      tags,
      operationId: 'createModel',
      summary: 'Upload a trained model (the next version of its name)',
      description:
        'multipart/form-data: `dataset`, `name`, `framework`, `metrics` (JSON object of numbers), `params` (JSON object), ' +
        '`description`, `tags`, then one or more `file` parts, the filename of each (or a `path` field before it) being its path within the version: one model file, or a folder such as an MLflow model (`model/MLmodel`, `model/model.pkl`, `model/conda.yaml`). The version is 1 + the highest version of (dataset, name).' +
        SAFETY,
      consumes: ['multipart/form-data'],
      multipartBody: createModelForm,
      response: { 201: modelSchema },
    },
    handler: async (request, reply) => {
      const model = await withUpload(request, (parts, context) => service.create(request.actor, parts, context));
      return reply.code(201).header('location', `/models/${model.id}`).send(model);
    },
  });

  app.get('/models', {
    schema: {
      tags,
      operationId: 'listModels',
      summary: 'List models, newest first or by a metric',
      querystring: listModelsQuery,
      response: { 200: modelPageSchema },
    },
    handler: async (request) => {
      const { sort, ...query } = request.query;
      return service.list(request.actor, {
        ...query,
        metric: sort === 'createdAt' ? undefined : sort.slice('metrics.'.length),
      });
    },
  });

  app.get('/models/:id', {
    schema: {
      tags,
      operationId: 'getModel',
      summary: 'Get a model with its dataset and explanations',
      description: SAFETY.trim(),
      params: modelParams,
      response: { 200: modelSchema },
    },
    handler: async (request) => service.get(request.actor, request.params.id),
  });

  app.get('/datasets/:dataset/models/:name/latest', {
    schema: {
      tags,
      operationId: 'getLatestModel',
      summary: 'The highest ready version of a model name for a dataset',
      params: datasetParams.extend({ name: z.string().min(1).max(63) }),
      response: { 200: modelSchema },
    },
    handler: async (request) => service.latest(request.actor, request.params.dataset, request.params.name),
  });

  app.patch('/models/:id', {
    schema: {
      tags,
      operationId: 'updateModel',
      summary: 'Change description, tags, metrics or params',
      params: modelParams,
      body: modelPatch,
      response: { 200: modelSchema },
    },
    handler: async (request) => service.update(request.actor, request.params.id, request.body),
  });

  app.delete('/models/:id', {
    schema: {
      tags,
      operationId: 'deleteModel',
      summary: 'Delete a model version and its files',
      description: '409 model_in_use while explanations reference it, unless cascade=true deletes them too.',
      params: modelParams,
      querystring: z.strictObject({ cascade: booleanQuery }),
      response: { 204: z.null().describe('Deleted') },
    },
    handler: async (request, reply) => {
      await service.delete(request.actor, request.params.id, request.query.cascade);
      return reply.code(204).send(null);
    },
  });

  versionDownloadRoutes(app, {
    prefix: '/models',
    tags,
    name: 'Model',
    description: SAFETY.trim(),
    service,
  });
};

export default models;
