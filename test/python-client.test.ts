/**
 * The Python client (python/, package xai-artifacts) as its users get it: installed with pip
 * from a copy of python/ into a fresh venv of Debian's python3 (--no-build-isolation, offline,
 * with python3-setuptools), then its pytest suite run against the real API on both backends —
 * every resource method, uploads and downloads resumed after SIGKILL and a cut connection,
 * the cache, snapshots, and the seed's R2StorageClient calls. Nothing may be skipped. Afterwards
 * every stored object has its row and every row its object (the reconciler finds nothing). Its
 * type hints are checked with Debian's mypy (python3-mypy) in strict mode.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { reconcile } from '../src/operations/reconciler.ts';
import { projectRoot } from '../src/project-files.ts';
import { type Backend, startApp } from './support/app.ts';
import { postgresSkipReason } from './support/postgres.ts';

const run = promisify(execFile);
/** Debian's interpreter (python3-requests, python3-pytest, python3-venv, python3-setuptools). */
const SYSTEM_PYTHON = process.env.XAI_TEST_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

describe('the Python client', () => {
  let scratch: string;
  let python: string;
  let tests: string;

  before(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-python-client-'));
    const source = path.join(scratch, 'python');
    await fs.cp(path.join(projectRoot(), 'python'), source, {
      recursive: true,
      filter: (file) => !/(__pycache__|\.egg-info|[/\\]build)$/.test(file),
    });
    const venv = path.join(scratch, 'venv');
    await run(SYSTEM_PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
    python = path.join(venv, 'bin', 'python');
    // What the README says works offline: Debian's setuptools builds it, no index is asked.
    await run(python, ['-m', 'pip', 'install', '--quiet', '--no-build-isolation', '--no-index', source], {
      env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
    });
    const { stdout } = await run(python, [
      '-c',
      'import xai_artifacts, pathlib; print(pathlib.Path(xai_artifacts.__file__).parent)',
    ]);
    assert.ok(stdout.trim().startsWith(venv), `the package is imported from the venv, not the source tree (${stdout.trim()})`);
    assert.ok(existsSync(path.join(stdout.trim(), 'py.typed')), 'py.typed is installed');
    tests = path.join(source, 'tests');
  });
  after(async () => {
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  test('its type hints hold: mypy --strict (pyproject.toml) over the package', async () => {
    const { stdout } = await run(SYSTEM_PYTHON, ['-m', 'mypy', 'xai_artifacts'], { cwd: path.dirname(tests) }).catch(
      (error: { stdout?: string; stderr?: string }) => assert.fail(`mypy:\n${error.stdout ?? ''}${error.stderr ?? ''}`),
    );
    assert.match(stdout, /^Success: no issues found in \d+ source files/);
  });

  for (const backend of ['embedded', 's3-postgres'] as Backend[]) {
    test(`pytest against the API on ${backend}`, {
      skip: backend === 's3-postgres' ? postgresSkipReason : undefined,
    }, async () => {
      const app = await startApp({ backend });
      try {
        const { stdout } = await run(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rfEs', tests], {
          cwd: scratch,
          env: { ...process.env, XAI_API_URL: app.baseUrl, PYTHONDONTWRITEBYTECODE: '1' },
          maxBuffer: 16 * 1024 * 1024,
          timeout: 20 * 60 * 1000,
        }).catch((error: { stdout?: string; stderr?: string }) => {
          assert.fail(`pytest failed on ${backend}:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
        });
        const summary = stdout.trim().split('\n').at(-1) ?? '';
        assert.match(summary, /^\d+ passed in /, `every test passed, none skipped: ${summary}`);
        assert.ok(Number(/^(\d+) passed/.exec(summary)?.[1]) >= 20, summary);

        // What the suite stored is whole: no upload left open, no object without its row or row without its object.
        assert.equal(await app.incompleteUploads(), 0, 'the resumed upload left no parts behind');
        const report = await reconcile(app.services.deps(), { olderThanMs: 0, dryRun: true });
        assert.deepEqual(
          {
            orphans: report.orphanObjects,
            missing: report.missingObjects,
            pending: report.stalePendingRows,
            uploads: report.staleUploads,
          },
          { orphans: [], missing: [], pending: [], uploads: [] },
        );
      } finally {
        await app.close();
      }
    });
  }
});
