import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DownloadLink, DownloadRequest } from '../../src/downloads.ts';
import { absoluteUrl } from './base-url.ts';

/** The download request of `?expiresIn=` (default from config) as the core takes it. */
export function downloadRequestOf(request: FastifyRequest, expiresIn: number | undefined): DownloadRequest {
  return { expiresInSeconds: expiresIn ?? request.server.services.config.downloads.defaultTtlSeconds };
}

/** Every download endpoint answers the same way: the link as JSON, or a 302 to it. */
export function sendDownload(reply: FastifyReply, link: DownloadLink, redirect: boolean): FastifyReply {
  reply.header('cache-control', 'no-store');
  const url = absoluteUrl(reply.request, link.url);
  // A redirect has no body, so no content type either (a JSON `null` only confused clients).
  if (redirect) return reply.code(302).header('location', url).send();
  return reply.send({ ...link, url });
}
