/** /models: thin HTTP over ModelService; the routes every versioned kind has come from versionRoutes. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importanceComparisonSchema } from '../../src/explanations/importances.ts';
import { modelLineageSchema } from '../../src/lineage/schema.ts';
import { modelPatch, modelSchema } from '../../src/models/schema.ts';
import { versionRoutes } from '../http/version-routes.ts';
import { uuidParam } from '../schemas/common.ts';
import { compareImportancesQuery } from '../schemas/explanations.ts';
import { createModelForm, listModelsQuery, modelPageSchema } from '../schemas/models.ts';
import { modelNameParams, modelVersionParams } from '../schemas/versions.ts';

const tags = ['models'];

const models: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.models;

  versionRoutes(app, {
    prefix: '/models',
    tags,
    name: 'Model',
    service,
    record: modelSchema,
    patch: modelPatch,
    form: createModelForm,
    summaries: {
      create: 'Upload a trained model (the next version of its name)',
      get: 'Get a model with its dataset and explanations',
      patch: 'Change description, tags, metrics or params',
      delete: 'Delete a model version and its files',
    },
    createDescription:
      'multipart/form-data: `dataset`, `name`, `framework`, `metrics` (JSON object of numbers), `params` (JSON object), ' +
      '`description`, `tags`, then one or more `file` parts, the filename of each (or a `path` field before it) being its ' +
      'path within the version: one model file, or a folder such as an MLflow model (`model/MLmodel`, `model/model.pkl`, ' +
      '`model/conda.yaml`). The version is 1 + the highest version of (dataset, name).',
    notice:
      'Model files are often Python pickles: `safeToLoad` is false for pickle, joblib, PyTorch and Keras files, which can run ' +
      'arbitrary code when loaded. The server never loads a model.',
    cascade: '409 model_in_use while explanations reference it, unless cascade=true deletes them too.',
  });

  app.get('/models', {
    schema: {
      tags,
      operationId: 'listModels',
      summary: 'List models, newest first or by a metric',
      querystring: listModelsQuery,
      response: { 200: modelPageSchema },
    },
    handler: async (request) => service.list(request.actor, request.query),
  });

  app.get('/datasets/:dataset/models/:name/importances', {
    schema: {
      tags,
      operationId: 'compareModelImportances',
      summary: 'Feature importances across the versions of a model: did a feature stop mattering in v3?',
      description:
        'For every version (oldest first), its newest explanation by `method` that has importances; for each feature in ' +
        "some version's top `top`: its importance and rank in each version and the change of rank from the version before.",
      params: modelNameParams,
      querystring: compareImportancesQuery,
      response: { 200: importanceComparisonSchema },
    },
    handler: async (request) => {
      const { dataset, name } = request.params;
      const { method, top } = request.query;
      return app.services.importances.acrossVersions(request.actor, { dataset, name, method, top });
    },
  });

  app.get('/datasets/:dataset/models/:name/:ref', {
    schema: {
      tags,
      operationId: 'getModelVersion',
      summary: 'A version of a model name for a dataset: latest (the highest ready), a number, or an alias',
      params: modelVersionParams,
      response: { 200: modelSchema },
    },
    handler: async (request) => {
      const { dataset, name, ref } = request.params;
      return service.byRef(request.actor, dataset, name, ref);
    },
  });

  app.get('/models/:id/lineage', {
    schema: {
      tags,
      operationId: 'getModelLineage',
      summary: 'Where a model came from (the exact dataset version, with its files) and what explains it',
      params: z.object({ id: uuidParam }),
      response: { 200: modelLineageSchema },
    },
    handler: async (request) => service.lineage(request.actor, request.params.id),
  });
};

export default models;
