/**
 * CORS for browser clients (@fastify/cors): only the configured origins, preflight cached for
 * ten minutes, and the headers a frontend needs to read exposed. Credentials (cookies) are
 * never used — the frontend sends a bearer token — so '*' is safe and stays credential-free.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const EXPOSED_HEADERS = [
  'Content-Disposition',
  'ETag',
  'Location',
  'Retry-After',
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

async function corsPlugin(app: FastifyInstance) {
  const origins = app.services.config.corsOrigins;
  await app.register(cors, {
    origin: origins.length === 0 ? false : origins.includes('*') ? '*' : origins,
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    // PUT and x-amz-checksum-sha256: direct-upload parts sent to the API's own signed part links.
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'X-API-Key',
      'Repr-Digest',
      'Content-Digest',
      'X-Request-Id',
      'x-amz-checksum-sha256',
    ],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
    strictPreflight: true,
  });
}

export default fp(corsPlugin, { name: 'cors' });
