/**
 * Security headers (@fastify/helmet). API answers are JSON, so the default policy forbids
 * everything a page could load; Swagger UI under /docs sets its own, narrower-than-default
 * policy (@fastify/swagger-ui staticCSP).
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function security(app: FastifyInstance) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    },
    // Download links are fetched cross-origin by the frontend.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
}

export default fp(security, { name: 'security' });
