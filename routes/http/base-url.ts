import type { FastifyRequest } from 'fastify';

/** Origin for links the API serves itself: PUBLIC_URL when set, else the request's own host. */
export function baseUrlOf(request: FastifyRequest): string {
  const configured = request.server.services.config.publicUrl;
  if (configured) return configured;
  return `${request.protocol}://${request.host}`;
}

/** A link as the client follows it: the core's relative links (`/objects/…`) on the API's origin. */
export function absoluteUrl(request: FastifyRequest, url: string): string {
  return url.startsWith('/') ? `${baseUrlOf(request).replace(/\/+$/, '')}${url}` : url;
}
