/**
 * Who is calling. Until authentication is configured every request acts as the single local
 * principal (the embedded default only listens on loopback).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../../src/domain.ts';

export const LOCAL_PRINCIPAL: Principal = Object.freeze({ id: 'local', role: 'user' });

async function principalPlugin(app: FastifyInstance) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    request.principal = LOCAL_PRINCIPAL;
  });
}

export default fp(principalPlugin, { name: 'principal' });
