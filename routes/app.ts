/**
 * Builds the Fastify application over already-created services. Tests call this with their
 * own services; routes/server.ts calls it for the real process.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import autoload from '@fastify/autoload';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger as PinoLogger } from 'pino';
import type { Services } from '../src/services.ts';
import { checkText } from '../src/text-input.ts';
import { clientErrorHandler } from './http/client-errors.ts';
import { OneLinePerRequest } from './http/request-logs.ts';
import authentication from './plugins/authentication.ts';
import cors from './plugins/cors.ts';
import loopbackGuard from './plugins/loopback-guard.ts';
import multipart from './plugins/multipart.ts';
import openapi from './plugins/openapi.ts';
import problemDetails, { frameworkErrorHandler } from './plugins/problem-details.ts';
import rateLimits from './plugins/rate-limits.ts';
import security from './plugins/security.ts';
import './types.ts';

export interface AppOptions {
  services: Services;
  logger: PinoLogger;
}

export async function buildApp({ services, logger }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    // Behind Railway's proxy the client's scheme and host arrive in X-Forwarded-* headers.
    trustProxy: services.config.trustProxy,
    bodyLimit: 1024 * 1024,
    // Upload routes are bounded by bytes and idle time, not total time (see server.ts).
    requestTimeout: 0,
    // Idle sockets (no bytes either way) are closed after two minutes.
    connectionTimeout: 120_000,
    return503OnClosing: true,
    logController: new OneLinePerRequest(),
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<ZodTypeProvider>();
  app.decorate('services', services);
  // JSON routes take JSON only: without this, text/plain would reach their validators as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // Before any schema or handler sees them: strings that could not be stored exactly.
  app.addHook('preValidation', async (request) => {
    checkText('The path', request.params);
    checkText('The query', request.query);
    if (!request.isMultipart()) checkText('The body', request.body);
  });

  await app.register(problemDetails);
  await app.register(security);
  await app.register(cors);
  await app.register(loopbackGuard);
  await app.register(authentication);
  await app.register(rateLimits);
  await app.register(multipart);
  await app.register(openapi);
  await app.register(autoload, { dir: path.join(import.meta.dirname, 'api'), forceESM: true });
  return app;
}
