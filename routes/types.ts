import type { Actor, Principal } from '../src/domain.ts';
import type { Services } from '../src/services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
  interface FastifyRequest {
    principal: Principal;
    /** The principal with its scopes, made once per request (what the core takes). */
    actor: Actor;
  }
}
