/** Liveness (no I/O) and readiness (storage and metadata reachable). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { problemFor, sendProblem } from '../plugins/problem-details.ts';

const checkResult = z.enum(['ok', 'failed']);

/** /ready is public and unmetered: its checks run at most once a second, whoever asks. */
const READY_CACHE_MS = 1000;

const health: FastifyPluginAsyncZod = async (app) => {
  let lastCheck: { at: number; results: Promise<PromiseSettledResult<void>[]> } | undefined;
  const checkBackends = () => {
    const now = Date.now();
    if (!lastCheck || now - lastCheck.at >= READY_CACHE_MS) {
      const { storage, metadata } = app.services;
      lastCheck = { at: now, results: Promise.allSettled([storage.check(), metadata.check()]) };
    }
    return lastCheck.results;
  };

  app.get('/health', {
    config: { public: true },
    schema: {
      tags: ['operations'],
      operationId: 'health',
      security: [],
      summary: 'Liveness: the process answers',
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
    logLevel: 'warn',
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/ready', {
    config: { public: true },
    schema: {
      tags: ['operations'],
      operationId: 'ready',
      security: [],
      summary: 'Readiness: storage and metadata are reachable',
      response: {
        200: z.object({ status: z.literal('ready'), checks: z.object({ storage: checkResult, metadata: checkResult }) }),
      },
    },
    logLevel: 'warn',
    handler: async (request, reply) => {
      const [storageCheck, metadataCheck] = (await checkBackends()) as [PromiseSettledResult<void>, PromiseSettledResult<void>];
      const checks = {
        storage: storageCheck.status === 'fulfilled' ? ('ok' as const) : ('failed' as const),
        metadata: metadataCheck.status === 'fulfilled' ? ('ok' as const) : ('failed' as const),
      };
      if (checks.storage === 'ok' && checks.metadata === 'ok') return { status: 'ready' as const, checks };
      for (const result of [storageCheck, metadataCheck]) {
        if (result.status === 'rejected') request.log.warn({ err: result.reason }, 'readiness check failed');
      }
      const code = checks.storage === 'failed' ? 'storage_unavailable' : 'metadata_unavailable';
      const failed = Object.entries(checks)
        .filter(([, value]) => value === 'failed')
        .map(([name]) => name);
      const problem = problemFor(new AppError(code, `Not ready: ${failed.join(' and ')} unreachable.`), request.id);
      return sendProblem(reply, { ...problem, checks });
    },
  });
};

export default health;
