/**
 * The OpenAPI 3.1 document, generated from the route schemas (zod) and served at
 * /openapi.json and /openapi.yaml, and Swagger UI at /docs. Error responses are added to
 * every operation here, as application/problem+json with the codes each status can carry.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../src/config.ts';
import { type ErrorCode, errorCatalog } from '../../src/errors.ts';
import { serviceVersion } from '../../src/version.ts';
import { problemSchema } from '../schemas/common.ts';
import { statusByKind, statusTitles } from './problem-details.ts';

/** The component every error response refers to (registered by its zod schema's id). */
const PROBLEM_REF = `#/components/schemas/${problemSchema.meta()?.id}`;

/** Stable codes per HTTP status, from the one error catalog. */
const codesByStatus = new Map<number, string[]>();
for (const [code, kind] of Object.entries(errorCatalog)) {
  const status = statusByKind[kind];
  codesByStatus.set(status, [...(codesByStatus.get(status) ?? []), code]);
}

/** Which error statuses an operation can answer, from its shape. */
function errorStatuses(method: string, url: string, isPublic: boolean, isUpload: boolean): number[] {
  const statuses = new Set<number>([400, 503]);
  if (!isPublic) statuses.add(401).add(429);
  if (url.includes(':')) statuses.add(404);
  if (isUpload) for (const status of [404, 409, 413, 415, 422]) statuses.add(status);
  if (method === 'DELETE') statuses.add(409);
  if (method === 'PATCH') statuses.add(415);
  if (url.includes('/objects/')) statuses.add(403);
  return [...statuses].sort();
}

/** One realistic answer per status, so Swagger UI shows each status its own problem. */
const problemExamples: Record<number, { code: ErrorCode; detail: string; [extra: string]: unknown }> = {
  400: { code: 'validation_failed', detail: 'querystring/limit must be <= 100' },
  401: { code: 'unauthenticated', detail: 'The access token has expired; refresh the session.' },
  403: { code: 'download_link_invalid', detail: 'This download link is invalid or has expired.' },
  404: { code: 'dataset_not_found', detail: 'No dataset german-credit.' },
  408: { code: 'upload_stalled', detail: 'The upload sent less than 16384 bytes in 60 s; send it again.' },
  409: {
    code: 'file_exists',
    detail: 'The dataset already has a file at raw/train.csv; add ?overwrite=true to replace it.',
  },
  413: { code: 'file_too_large', detail: 'The file is larger than the limit of 5368709120 bytes.', maxBytes: 5368709120 },
  415: {
    code: 'unsupported_media_type',
    detail:
      'model.exe is not an accepted model file; allowed extensions: pkl, pickle, joblib, h5, keras, onnx, json, ubj, pt, pth, safetensors.',
  },
  422: { code: 'checksum_mismatch', detail: 'The SHA-256 of raw/train.csv does not match the one sent.' },
  429: { code: 'rate_limited', detail: 'Too many requests; retry in 12 s.' },
  503: { code: 'storage_unavailable', detail: 'Object storage could not reach the bucket; try again shortly.' },
};

function problemResponse(status: number) {
  const example = problemExamples[status];
  return {
    description: `Problem details. code: ${(codesByStatus.get(status) ?? []).join(', ') || 'see the error catalog'}.`,
    content: {
      'application/problem+json': {
        schema: { $ref: PROBLEM_REF },
        ...(example
          ? {
              example: {
                type: 'about:blank',
                title: statusTitles[status] ?? 'Error',
                status,
                ...example,
                requestId: '0b5f5e0e-4a7c-4d0e-9f55-2f3f7f0a9c11',
              },
            }
          : {}),
      },
    },
  };
}

/** What the API is, and where this server keeps things (the served document says which backends run). */
function apiDescription(config: Config): string {
  const storage = config.storage.kind === 's3' ? 'an S3-compatible bucket (Cloudflare R2 in production)' : 'a local folder';
  const metadata = {
    postgres: 'Postgres (Supabase in production)',
    supabase: 'Supabase, through its API',
    pglite: 'PGlite, Postgres embedded in the process',
  }[config.metadata.kind];
  const embedded = config.storage.kind === 'filesystem' && config.metadata.kind === 'pglite' ? ' (the embedded default)' : '';
  return (
    'Datasets, trained models and explanations of the XAI research platform, with their metadata and lineage. ' +
    'Large files go straight between the client and storage (presigned part and download URLs). ' +
    `This server keeps files in ${storage} and metadata in ${metadata}${embedded}.`
  );
}

/** Drops component schemas nothing refers to (zod emits input and output variants). */
function withoutUnusedSchemas<T extends { components?: { schemas?: Record<string, unknown> } }>(document: T): T {
  const schemas = document.components?.schemas;
  if (!schemas) return document;
  let text = JSON.stringify({ ...document, components: { ...document.components, schemas: {} } });
  const used = new Set<string>();
  // Follow references transitively: a used schema's own references count too.
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of Object.keys(schemas)) {
      if (!used.has(name) && text.includes(`"#/components/schemas/${name}"`)) {
        used.add(name);
        text += JSON.stringify(schemas[name]);
        changed = true;
      }
    }
  }
  return {
    ...document,
    components: {
      ...document.components,
      schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))),
    },
  };
}

async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'XAI artifact API',
        description: apiDescription(app.services.config),
        version: serviceVersion(),
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'A Supabase access token (the frontend session) or an API key (training jobs, curl).',
          },
        },
      },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'datasets', description: 'Named collections of data files' },
        { name: 'models', description: 'Trained models, versioned per dataset and name' },
        { name: 'explanations', description: 'SHAP, LIME and other explanations of a model' },
        { name: 'operations', description: 'Health and readiness' },
      ],
    },
    transform: (document) => {
      const result = jsonSchemaTransform(document);
      // Multipart bodies are parsed by the core, not by a zod body schema: routes describe them
      // for the document only, as plain JSON Schema under `multipartBody`.
      // A route that also takes JSON (an empty dataset) names its zod schema under `jsonBody`.
      const { multipartBody, jsonBody, ...schema } = (result.schema ?? {}) as Record<string, unknown>;
      if (schema.hide) return result;
      const isPublic = Array.isArray(schema.security) && schema.security.length === 0;
      const response = { ...(schema.response as Record<string, unknown> | undefined) };
      for (const status of errorStatuses(document.route.method as string, document.url, isPublic, Boolean(multipartBody))) {
        response[status] ??= problemResponse(status);
      }
      const body = jsonBody
        ? {
            content: {
              'multipart/form-data': { schema: multipartBody },
              'application/json': { schema: z.toJSONSchema(jsonBody as z.ZodType, { io: 'input' }) },
            },
          }
        : multipartBody;
      return { ...result, schema: { ...schema, response, ...(body ? { body } : {}) } };
    },
    transformObject: (document) => withoutUnusedSchemas(jsonSchemaTransformObject(document) as never),
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // Swagger UI's own strict policy, plus the inline styles its components set (styles only, no scripts).
    staticCSP: true,
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", "style-src 'self' 'unsafe-inline'"),
    uiConfig: { persistAuthorization: false, tryItOutEnabled: false, displayRequestDuration: true },
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
  app.get('/openapi.yaml', { schema: { hide: true }, config: { public: true } }, async (_request, reply) =>
    reply.type('application/yaml').send(app.swagger({ yaml: true })),
  );
}

export default fp(openapi, { name: 'openapi' });
