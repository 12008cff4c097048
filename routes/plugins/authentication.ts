/**
 * Authentication on every route except the public ones (health, readiness, docs, and the
 * signed download links, which carry their own signature). With no authentication configured
 * (only allowed on loopback, checked by the config) every request is the local principal.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type Actor, actorOf, type Principal } from '../../src/domain.ts';

export const LOCAL_PRINCIPAL: Principal = Object.freeze({ id: 'local', role: 'user' });
const LOCAL_ACTOR: Actor = Object.freeze(actorOf(LOCAL_PRINCIPAL));

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No credentials needed. */
    public?: boolean;
  }
}

function isPublic(request: FastifyRequest): boolean {
  const url = request.routeOptions.url;
  // Unknown routes answer 404 whoever asks; docs and the OpenAPI document are public.
  return url === undefined || request.routeOptions.config.public === true || url.startsWith('/docs');
}

async function authentication(app: FastifyInstance) {
  const { authenticator } = app.services;
  if (!authenticator.enabled) app.log.warn('authentication is off: every request acts as the local user (loopback only)');
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    if (!authenticator.enabled) {
      request.principal = LOCAL_PRINCIPAL;
      request.actor = LOCAL_ACTOR;
      return;
    }
    if (isPublic(request)) return;
    request.principal = await authenticator.authenticate({
      authorization: request.headers.authorization,
      apiKey: typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'] : undefined,
    });
    // The scopes are made here, once; every call into the core takes them as they are.
    request.actor = actorOf(request.principal);
  });
}

export default fp(authentication, { name: 'authentication', dependencies: ['problem-details'] });
