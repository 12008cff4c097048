/**
 * POST /operations/reconcile: the reconciler, run by the server itself. On the embedded default
 * the server holds the data folder alone, so `npm run reconcile` asks the running server here
 * instead of opening the folder a second time. Admins only (or the local user without auth).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../src/errors.ts';
import { parseDuration, reconcile } from '../../src/operations/reconciler.ts';

const reportSchema = z
  .object({
    dryRun: z.boolean(),
    cutoff: z.string(),
    expiredUploads: z.array(z.string()).describe('Direct uploads past UPLOAD_SESSION_TTL, aborted.'),
    stalePendingRows: z.array(
      z.object({ kind: z.string(), id: z.string(), objectKey: z.string().nullable(), createdAt: z.string() }),
    ),
    staleUploads: z.array(z.object({ key: z.string(), uploadId: z.string(), initiated: z.string() })),
    orphanObjects: z.array(z.string()),
    missingObjects: z.array(z.object({ kind: z.string(), id: z.string(), objectKey: z.string() })),
    failures: z.array(z.string()),
  })
  .meta({ id: 'ReconcileReport' });

const operations: FastifyPluginAsyncZod = async (app) => {
  app.post('/operations/reconcile', {
    schema: {
      tags: ['operations'],
      operationId: 'reconcile',
      summary: 'Repair crash leftovers between the bucket and the metadata',
      description:
        'What `npm run reconcile` does, run by this server: pending rows, incomplete multipart uploads and orphan ' +
        'objects older than `olderThan` are removed; ready rows missing their object are reported. Admins only.',
      body: z
        .strictObject({
          dryRun: z.boolean().default(false).describe('Report only.'),
          olderThan: z
            .string()
            .regex(/^\d+(ms|s|m|h|d)?$/, 'must be a duration such as 30m, 6h or 2d')
            .optional()
            .describe('Only what is older than this (default RECONCILE_OLDER_THAN_MINUTES).'),
        })
        .optional(),
      response: { 200: reportSchema },
    },
    handler: async (request) => {
      const { principal } = request;
      if (principal.role !== 'admin' && app.services.authenticator.enabled) {
        throw new AppError('forbidden', 'Only an admin may run the reconciler.');
      }
      const { olderThan, dryRun = false } = request.body ?? {};
      return reconcile(app.services.deps(), {
        olderThanMs: olderThan === undefined ? app.services.config.reconcileOlderThanMs : parseDuration(olderThan),
        dryRun,
      });
    },
  });
};

export default operations;
