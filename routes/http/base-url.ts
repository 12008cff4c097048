import type { FastifyRequest } from 'fastify';

/** Origin for links the API serves itself: PUBLIC_URL when set, else the request's own host. */
export function baseUrlOf(request: FastifyRequest): string {
  const configured = request.server.services.config.publicUrl;
  if (configured) return configured;
  return `${request.protocol}://${request.host}`;
}
