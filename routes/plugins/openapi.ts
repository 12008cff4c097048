/** OpenAPI document from the route schemas (zod) and Swagger UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { serviceVersion } from '../../src/version.ts';

async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'XAI artifact API',
        description:
          'Datasets, trained models and explanations of the XAI research platform: files stream into R2, ' +
          'metadata lives in Supabase, downloads are short-lived presigned URLs.',
        version: serviceVersion(),
        license: { name: 'MIT', identifier: 'MIT' },
      },
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
      const { multipartBody, ...schema } = (result.schema ?? {}) as Record<string, unknown>;
      return multipartBody ? { ...result, schema: { ...schema, body: multipartBody } } : result;
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());
}

export default fp(openapi, { name: 'openapi' });
