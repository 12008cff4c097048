import type { Principal } from '../src/domain.ts';
import type { Services } from '../src/services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}
