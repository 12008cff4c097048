/**
 * With no authentication the server listens on loopback only, and every request acts as the
 * local user. Loopback alone does not stop a web page the developer visits: it can POST a form
 * to 127.0.0.1 without a preflight (CSRF), or point a domain it controls at 127.0.0.1 (DNS
 * rebinding). So in that mode a request must name a loopback Host, and a browser request must
 * come from the server's own origin or one listed in CORS_ORIGINS. With authentication on, the
 * bearer credential (never sent by a browser on its own) is the defence and this plugin is idle.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../src/errors.ts';

/** localhost, *.localhost, 127.0.0.0/8 and [::1], with an optional port. */
const LOOPBACK_HOST = /^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

function refusal(request: FastifyRequest, allowedOrigins: ReadonlySet<string>): AppError | undefined {
  const host = request.headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) {
    return new AppError(
      'host_not_allowed',
      'Without authentication the API answers only to a loopback Host (127.0.0.1, localhost).',
    );
  }
  // Links signed by the API carry their own credential; health and docs reveal nothing.
  if (request.routeOptions.config?.public === true) return undefined;
  const origin = request.headers.origin;
  const ownOrigin = `http://${host.toLowerCase()}`;
  if (origin !== undefined) {
    if (origin.toLowerCase() === ownOrigin || allowedOrigins.has(origin)) return undefined;
    return crossSite();
  }
  if (request.headers['sec-fetch-site'] === 'cross-site') return crossSite();
  return undefined;
}

function crossSite(): AppError {
  return new AppError(
    'cross_site_request',
    'Without authentication, requests from other web origins are refused; list the frontend in CORS_ORIGINS.',
  );
}

async function loopbackGuard(app: FastifyInstance) {
  const { authenticator, config } = app.services;
  if (authenticator.enabled) return;
  // '*' would let any page act as the local user: only origins named one by one count here.
  const allowedOrigins = new Set(config.corsOrigins.filter((origin) => origin !== '*'));
  app.addHook('onRequest', async (request) => {
    const error = refusal(request, allowedOrigins);
    if (error) throw error;
  });
}

export default fp(loopbackGuard, { name: 'loopback-guard', dependencies: ['problem-details'] });
