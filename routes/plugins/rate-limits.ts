/**
 * Per-principal request budgets (@fastify/rate-limit): one for uploads, one for download
 * URLs, one for everything else. Counted after authentication, keyed by the principal. On a
 * shared database (Postgres, Supabase) the counts are the replicas' together (the core's
 * SharedCounter behind @fastify/rate-limit's store interface); on PGlite, the process's own.
 */
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../src/errors.ts';
import type { SharedCounter } from '../../src/rate-limits/shared-counter.ts';

export type Budget = 'uploads' | 'downloads' | 'requests';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which budget a route counts against (default: requests; public routes: none). */
    budget?: Budget;
  }
}

const keyOf = (request: FastifyRequest) => request.principal?.id ?? `ip:${request.ip}`;

function budget(app: FastifyInstance, kind: Budget): RateLimitOptions {
  const limits = app.services.config.rateLimits;
  const max = { uploads: limits.uploadsPerMinute, downloads: limits.downloadsPerMinute, requests: limits.requestsPerMinute }[
    kind
  ];
  return { max, timeWindow: 60_000, groupId: kind, keyGenerator: keyOf, hook: 'preHandler' };
}

async function rateLimits(app: FastifyInstance) {
  // Runs before @fastify/rate-limit's own onRoute hook, which reads config.rateLimit.
  app.addHook('onRoute', (route) => {
    if (route.config?.public) return;
    route.config = { ...route.config, rateLimit: budget(app, route.config?.budget ?? 'requests') } as typeof route.config;
  });
  const shared = app.services.rateLimits;
  await app.register(rateLimit, {
    global: false,
    ...(shared ? { store: sharedStore(shared) } : {}),
    hook: 'preHandler',
    keyGenerator: keyOf,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s.`, {
        details: { limit: context.max },
      }),
  });
}

type Answer = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * @fastify/rate-limit's store interface (callbacks) over the shared counter. Counts are kept per
 * route, as the plugin's own in-process store keeps them (it makes a store per route): a
 * budget is per caller and route on every backend, shared by the replicas.
 */
function sharedStore(counter: SharedCounter) {
  return class SharedStore {
    readonly #route: string;

    // The plugin passes its merged options, the route under `routeInfo` (its types say otherwise).
    constructor(options: object = {}) {
      const { method, url } = (options as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ?? {};
      this.#route = url ? `${[method].flat().join(',')} ${url}|` : '';
    }

    incr(key: string, answer: Answer, timeWindow: number): void {
      counter.hit(this.#route + key, timeWindow).then(
        (hit) => answer(null, hit),
        (error: Error) => answer(error),
      );
    }

    read(key: string, answer: Answer, timeWindow: number): void {
      answer(null, counter.peek(this.#route + key, timeWindow));
    }

    child(options: object): SharedStore {
      return new SharedStore(options);
    }
  };
}

export default fp(rateLimits, { name: 'rate-limits' });
