/** /explanations: thin HTTP over ExplanationService; the routes every versioned kind has come from versionRoutes. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { explanationRowAnswerSchema, explanationRowsPageSchema } from '../../src/explanations/explanation-rows.ts';
import { explanationImportancesSchema } from '../../src/explanations/importances.ts';
import { explanationPatch, explanationSchema } from '../../src/explanations/schema.ts';
import { versionRoutes } from '../http/version-routes.ts';
import { uuidParam } from '../schemas/common.ts';
import {
  createExplanationForm,
  explanationPageSchema,
  listExplanationsQuery,
  rowParams,
  rowQuery,
  rowsQuery,
  topQuery,
} from '../schemas/explanations.ts';

const tags = ['explanations'];

const explanations: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.explanations;

  versionRoutes(app, {
    prefix: '/explanations',
    tags,
    name: 'Explanation',
    service,
    record: explanationSchema,
    patch: explanationPatch,
    form: createExplanationForm,
    summaries: {
      create: 'Upload an explanation (SHAP values, LIME output, plots) of a model',
      get: 'Get an explanation, including its summary',
      patch: 'Change description, tags, summary or params',
      delete: 'Delete an explanation and its files',
    },
    createDescription:
      'multipart/form-data: `model` (id of a ready model), `method` (shap, lime, …), `params` (JSON object), ' +
      '`summary` (JSON object, at most 256 KiB), `description`, `tags`, then one or more `file` parts, the filename of ' +
      'each (or a `path` field before it) being its path within the explanation: e.g. `shap_values.parquet` beside `summary.json`.',
  });

  app.get('/explanations/:id/importances', {
    schema: {
      tags,
      operationId: 'getExplanationImportances',
      summary: 'Feature importances of an explanation, most important first (a bar chart, without the file)',
      description:
        'From its SHAP matrix (a CSV, TSV, Parquet or .npy file with a numeric column per feature; `base_value` and `prediction` are not features): ' +
        'mean |value| per feature, with mean, min and max, computed while the file was uploaded. Else from its `summary` ' +
        '(feature → number). Else none, and `reason` says why.',
      params: z.object({ id: uuidParam }),
      querystring: topQuery,
      response: { 200: explanationImportancesSchema },
    },
    handler: async (request) => app.services.importances.ofExplanation(request.actor, request.params.id, request.query.top),
  });

  app.get('/explanations/:id/rows/:index', {
    schema: {
      tags,
      operationId: 'getExplanationRow',
      summary: "One row's explanation (a waterfall), and with withData=true the row's feature values beside it",
      description:
        'Read from the SHAP matrix file with Range requests, never whole: CSV and TSV through a row index written while ' +
        'the file was uploaded, Parquet through its row groups and offset index, .npy by arithmetic. `bytesRead` says what it cost.',
      params: rowParams,
      querystring: rowQuery,
      response: { 200: explanationRowAnswerSchema },
    },
    handler: async (request) =>
      app.services.explanationRows.row(request.actor, request.params.id, request.params.index, request.query.withData ?? false),
  });

  app.get('/explanations/:id/rows', {
    schema: {
      tags,
      operationId: 'listExplanationRows',
      summary: 'A page of rows of an explanation (at most 500), each with its SHAP values and optionally its data',
      params: z.object({ id: uuidParam }),
      querystring: rowsQuery,
      response: { 200: explanationRowsPageSchema },
    },
    handler: async (request) => {
      const { offset, limit, withData } = request.query;
      return app.services.explanationRows.page(request.actor, request.params.id, offset, limit, withData ?? false);
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
};

export default explanations;
