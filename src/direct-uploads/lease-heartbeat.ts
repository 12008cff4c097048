/**
 * Keeps a lease (a completion's, a verification's) while its holder works: renewed every third of
 * its length, so one lost renewal does not lose it. A failed renewal is logged; if they keep
 * failing, the lease lapses and another process may take the work over, as after a crash.
 */
import type { Logger } from '../logger.ts';

export function keepLeased(
  renew: () => Promise<void>,
  leaseSeconds: number,
  log: Logger,
  context: { upload: string; lease: 'completion' | 'verification' },
): () => void {
  const timer = setInterval(
    () => {
      renew().catch((error: unknown) =>
        log.warn({ err: error, upload: context.upload }, `${context.lease} lease renewal failed`),
      );
    },
    (leaseSeconds * 1000) / 3,
  );
  timer.unref();
  return () => clearInterval(timer);
}
