/**
 * The process: validate config, pick backends, serve, and shut down gracefully on SIGTERM
 * (stop accepting, let uploads finish within the grace period, abort the rest cleanly).
 */
import net from 'node:net';
import closeWithGrace from 'close-with-grace';
import { loadConfigOrExit } from '../src/cli/load-config.ts';
import { announceServer } from '../src/cli/running-server.ts';
import { ConfigError, describeBackends, isLoopback } from '../src/config.ts';
import { AppError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import { createLogger } from '../src/logger.ts';
import { reconcile } from '../src/operations/reconciler.ts';
import { createServices, type Services } from '../src/services.ts';
import { buildApp } from './app.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({ level: config.logLevel, pretty: config.prettyLogs });
  logger.info(describeBackends(config), 'backends chosen');
  // Served beyond this machine with the embedded default: say once where the data lives.
  if (!isLoopback(config.host) && (config.storage.kind === 'filesystem' || config.metadata.kind === 'pglite')) {
    logger.warn(
      { dataDir: config.dataDir },
      'objects and/or metadata are kept in a local folder: they are lost on redeploy unless DATA_DIR is a mounted volume',
    );
  }

  // Before any migration runs: a port in use is a one-line answer, not a trace after the work.
  if (!(await portIsFree(config.host, config.port))) {
    process.stderr.write(`Cannot start: PORT ${config.port} on ${config.host} is already in use\n`);
    process.exit(1);
  }
  let services: Awaited<ReturnType<typeof createServices>>;
  try {
    services = await createServices(config, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    logger.fatal({ err: error }, 'could not start: a backend is unavailable');
    process.exit(1);
  }
  const app = await buildApp({ services, logger });
  const stopReconciling = scheduleReconciler(services, logger);

  let forgetAnnouncement = async () => {};
  closeWithGrace({ delay: config.shutdownGraceMs + 10_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an uncaught error');
    else logger.info({ signal, inFlightUploads: services.uploads.size }, 'shutting down');
    // Past the grace period, uploads still running are aborted: each undoes itself and answers 503.
    const graceTimer = setTimeout(() => {
      services.uploads.abortAll(new AppError('shutting_down', 'The server is restarting; retry the upload.'));
    }, config.shutdownGraceMs);
    stopReconciling();
    try {
      await app.close();
    } finally {
      clearTimeout(graceTimer);
      await forgetAnnouncement();
      await services.close();
    }
  });

  const address = await app.listen({ host: config.host, port: config.port });
  // Verifications of direct uploads that a crash or a restart interrupted resume here.
  services.verifier.start();
  // The embedded data folder is this process's alone: `npm run reconcile` finds it through this.
  if (config.metadata.kind === 'pglite' && config.metadata.dataDir) {
    const loopback = address.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
    forgetAnnouncement = await announceServer(config.dataDir, loopback);
  }
}

/** With RECONCILE_INTERVAL_MINUTES set, the server repairs crash leftovers itself (the embedded default needs this: PGlite is single-process). */
function scheduleReconciler(services: Services, logger: Logger): () => void {
  const { reconcileIntervalMs, reconcileOlderThanMs } = services.config;
  if (reconcileIntervalMs === 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcile(services.deps(), { olderThanMs: reconcileOlderThanMs, dryRun: false })
      .catch((error: unknown) => logger.warn({ err: error }, 'scheduled reconcile failed'))
      .finally(() => {
        running = false;
      });
  }, reconcileIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Whether host:port can be bound now (port 0 always can). */
function portIsFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

await main();
