/** /datasets: thin HTTP over DatasetService. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { datasetFields, datasetPatch, datasetSchema } from '../../src/datasets/schema.ts';
import { previewSchema, profileRecordSchema } from '../../src/profiles/profile.ts';
import { downloadRequestOf, sendDownload } from '../http/downloads.ts';
import { withUpload } from '../http/uploads.ts';
import { booleanQuery, downloadLinkSchema, downloadQuery, uuidParam } from '../schemas/common.ts';
import { addFilesForm, createDatasetForm, datasetPageSchema, datasetParams, listDatasetsQuery } from '../schemas/datasets.ts';
import { previewQuery } from '../schemas/profiles.ts';

const tags = ['datasets'];

const datasets: FastifyPluginAsyncZod = async (app) => {
  const service = app.services.datasets;

  app.post('/datasets', {
    config: { budget: 'uploads' },
    schema: {
      tags,
      operationId: 'createDataset',
      summary: 'Create a dataset, optionally with files',
      description:
        'multipart/form-data: `name` (required), `description`, `tags` (repeatable or comma-separated), `status`, ' +
        "then zero or more parts named `file`. Each file part's filename is its path inside the dataset " +
        '(curl: `-F "file=@train.csv;filename=raw/train.csv"`; in Swagger UI, set `path`). A `sha256` field right before a file part is checked ' +
        'against the bytes. `name` must come before the first file; `description`, `tags` and `status` may also follow the files. All or nothing. ' +
        'Or application/json with the same fields and no files: an empty dataset, whose files come later (POST /datasets/{dataset}/files or a direct upload).',
      multipartBody: createDatasetForm,
      jsonBody: datasetFields,
      response: { 201: datasetSchema },
    },
    handler: async (request, reply) => {
      const dataset = request.isMultipart()
        ? await withUpload(request, (parts, context) => service.create(request.actor, parts, context))
        : await service.createEmpty(request.actor, request.body);
      return reply.code(201).header('location', `/datasets/${dataset.id}`).send(dataset);
    },
  });

  app.get('/datasets', {
    schema: {
      tags,
      operationId: 'listDatasets',
      summary: 'List datasets, newest first',
      querystring: listDatasetsQuery,
      response: { 200: datasetPageSchema },
    },
    handler: async (request) => service.list(request.actor, request.query),
  });

  app.get('/datasets/:dataset', {
    schema: {
      tags,
      operationId: 'getDataset',
      summary: 'Get a dataset with its files',
      params: datasetParams,
      response: { 200: datasetSchema },
    },
    handler: async (request) => service.get(request.actor, request.params.dataset),
  });

  app.patch('/datasets/:dataset', {
    schema: {
      tags,
      operationId: 'updateDataset',
      summary: 'Change description, tags or status',
      params: datasetParams,
      body: datasetPatch,
      response: { 200: datasetSchema },
    },
    handler: async (request) => service.update(request.actor, request.params.dataset, request.body),
  });

  app.delete('/datasets/:dataset', {
    schema: {
      tags,
      operationId: 'deleteDataset',
      summary: 'Delete a dataset and its files',
      description: '409 dataset_in_use while models or explanations use it, unless cascade=true deletes them too.',
      params: datasetParams,
      querystring: z.strictObject({ cascade: booleanQuery }),
      response: { 204: z.null().describe('Deleted') },
    },
    handler: async (request, reply) => {
      await service.delete(request.actor, request.params.dataset, request.query.cascade);
      return reply.code(204).send(null);
    },
  });

  app.post('/datasets/:dataset/files', {
    config: { budget: 'uploads' },
    schema: {
      tags,
      operationId: 'addDatasetFiles',
      summary: 'Add files to a dataset',
      description:
        'multipart/form-data with one or more parts named `file` (filename = path inside the dataset), each optionally ' +
        'preceded by a `sha256` field. An existing path is 409 file_exists unless overwrite=true.',
      consumes: ['multipart/form-data'],
      multipartBody: addFilesForm,
      params: datasetParams,
      querystring: z.strictObject({ overwrite: booleanQuery }),
      response: { 201: datasetSchema },
    },
    handler: async (request, reply) => {
      const dataset = await withUpload(request, (parts, context) =>
        service.addFiles(request.actor, request.params.dataset, parts, {
          ...context,
          overwrite: request.query.overwrite,
        }),
      );
      return reply.code(201).header('location', `/datasets/${dataset.id}`).send(dataset);
    },
  });

  app.delete('/datasets/:dataset/files/:fileId', {
    schema: {
      tags,
      operationId: 'deleteDatasetFile',
      summary: 'Delete one file of a dataset',
      params: datasetParams.extend({ fileId: uuidParam }),
      response: { 204: z.null().describe('Deleted') },
    },
    handler: async (request, reply) => {
      await service.deleteFile(request.actor, request.params.dataset, request.params.fileId);
      return reply.code(204).send(null);
    },
  });

  app.get('/datasets/:dataset/files/:fileId/download', {
    config: { budget: 'downloads' },
    schema: {
      tags,
      operationId: 'downloadDatasetFile',
      summary: 'Get a short-lived download URL for a file',
      params: datasetParams.extend({ fileId: uuidParam }),
      querystring: downloadQuery,
      response: { 200: downloadLinkSchema, 302: z.null().describe('Redirect to the download URL') },
    },
    handler: async (request, reply) => {
      const { dataset, fileId } = request.params;
      const link = await service.download(request.actor, dataset, fileId, downloadRequestOf(request, request.query.expiresIn));
      return sendDownload(reply, link, request.query.redirect);
    },
  });

  app.get('/datasets/:dataset/files/:fileId/profile', {
    schema: {
      tags,
      operationId: 'getDatasetFileProfile',
      summary: "A file's profile: rows, columns, types, missing values, ranges, frequent values",
      description:
        'Computed once at upload (CSV, TSV, JSON lines while the bytes stream; Parquet from its footer). Other formats: ' +
        '`profile: null` with the reason. A malformed file still has a profile (`status: partial`) listing its problems by line.',
      params: datasetParams.extend({ fileId: uuidParam }),
      response: { 200: profileRecordSchema },
    },
    handler: async (request) => service.profile(request.actor, request.params.dataset, request.params.fileId),
  });

  app.get('/datasets/:dataset/files/:fileId/preview', {
    schema: {
      tags,
      operationId: 'previewDatasetFile',
      summary: 'The first rows of a file, without downloading it',
      description:
        'Read with Range requests: CSV, TSV and JSON lines from the start (at most 4 MiB), Parquet its footer and first row ' +
        'group (at most 32 MiB, else 422 `preview_too_large`). Other formats: 422 `preview_unavailable`.',
      params: datasetParams.extend({ fileId: uuidParam }),
      querystring: previewQuery,
      response: { 200: previewSchema },
    },
    handler: async (request) => service.preview(request.actor, request.params.dataset, request.params.fileId, request.query.rows),
  });
};

export default datasets;
