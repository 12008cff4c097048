/**
 * Docker cannot run on these machines; this checks what can be checked of the deploy files:
 * the image starts the build output, the build produces it, and railway.json is valid.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../src/project-files.ts';

const root = projectRoot();
const read = (file: string) => fs.readFile(path.join(root, file), 'utf8');

test('the Dockerfile runs the production build as a non-root user on 0.0.0.0', async () => {
  const dockerfile = await read('Dockerfile');
  const packageJson = JSON.parse(await read('package.json')) as { scripts: Record<string, string>; engines: { node: string } };
  assert.match(dockerfile, /^FROM node:24-slim AS build$/m);
  assert.match(dockerfile, /RUN npm ci --omit=dev/);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /HOST=0\.0\.0\.0/);
  const cmd = /^CMD \[(.+)\]$/m.exec(dockerfile)?.[1];
  assert.ok(cmd, 'Dockerfile has an exec-form CMD');
  const command = (JSON.parse(`[${cmd}]`) as string[]).join(' ');
  assert.equal(packageJson.scripts['start:dist'], command, 'npm run start:dist is what the image runs');
  assert.match(packageJson.engines.node, />=2[2-9]/);
  for (const copied of [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => (match[1] ?? '').split(' '))) {
    await fs.access(path.join(root, copied));
  }
});

test('npm run build produces the file the image starts', async () => {
  const outDir = await fs.mkdtemp(path.join(root, '.build-check-'));
  try {
    await promisify(execFile)(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: root,
      },
    );
    await fs.access(path.join(outDir, 'routes', 'server.js'));
    await fs.access(path.join(outDir, 'routes', 'api', 'datasets.js'));
    const server = await fs.readFile(path.join(outDir, 'routes', 'server.js'), 'utf8');
    assert.match(server, /from ['"]\.\/app\.js['"]/, 'relative imports are rewritten to .js');
  } finally {
    await fs.rm(outDir, { recursive: true, force: true });
  }
});

test('railway.json builds the Dockerfile and checks readiness (/ready), so a misconfigured deploy never takes traffic', async () => {
  const railway = JSON.parse(await read('railway.json')) as {
    build: { builder: string; dockerfilePath: string };
    deploy: { healthcheckPath: string; restartPolicyType: string; drainingSeconds: number };
  };
  assert.equal(railway.build.builder, 'DOCKERFILE');
  await fs.access(path.join(root, railway.build.dockerfilePath));
  assert.equal(railway.deploy.healthcheckPath, '/ready');
  assert.equal(railway.deploy.restartPolicyType, 'ON_FAILURE');
  assert.equal(typeof railway.deploy.drainingSeconds, 'number');
});

/** The ENV of the Dockerfile's last stage (what the running image has). */
function imageEnv(dockerfile: string): Record<string, string> {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(lastStage)?.[1] ?? '';
  return Object.fromEntries(
    block
      .replaceAll('\\\n', ' ')
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('=') as [string, string]),
  );
}

test("a production install runs the image's start command to /ready and stops on SIGTERM", { timeout: 300_000 }, async (t) => {
  const dockerfile = await read('Dockerfile');
  // The image's steps, minus Docker: build with the dev dependencies, then a folder with the
  // production dependencies only (npm ci --omit=dev, from npm's cache), dist/ and the template.
  const app = await fs.mkdtemp(path.join(root, '.build-check-'));
  t.after(() => fs.rm(app, { recursive: true, force: true }));
  await promisify(execFile)(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')],
    { cwd: root },
  );
  for (const file of ['package.json', 'package-lock.json']) await fs.copyFile(path.join(root, file), path.join(app, file));
  await fs.cp(path.join(root, 'supabase'), path.join(app, 'supabase'), { recursive: true });
  const npmEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
  await promisify(execFile)('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: npmEnv,
  });
  await fs.access(path.join(app, 'node_modules', 'fastify'));
  await assert.rejects(fs.access(path.join(app, 'node_modules', 'typescript')), 'no dev dependency is installed');
  await promisify(execFile)(process.execPath, ['dist/src/cli/pglite-template.js'], { cwd: app });

  const cmd = JSON.parse(`[${/^CMD \[(.+)\]$/m.exec(dockerfile)?.[1] ?? ''}]`) as string[];
  assert.equal(cmd[0], 'node');
  const { freePort } = await import('./support/free-port.ts');
  const { apiKey } = await import('./support/identity.ts');
  const port = await freePort();
  const env: Record<string, string> = {
    ...imageEnv(dockerfile),
    PORT: String(port),
    DATA_DIR: path.join(app, 'data'),
    API_KEYS: apiKey('deploy-check', 'user').entry,
  };
  assert.equal(env.NODE_ENV, 'production');
  assert.equal(env.HOST, '0.0.0.0');
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, cmd.slice(1), {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let ready: Response | undefined;
  for (let waited = 0; waited < 30_000 && !ready?.ok; waited += 100) {
    ready = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
    if (!ready?.ok) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(ready?.status, 200, output);
  assert.deepEqual(await ready?.json(), { status: 'ready', checks: { storage: 'ok', metadata: 'ok' } });
  assert.equal((await fetch(`http://127.0.0.1:${port}/datasets`)).status, 401, 'authentication is on');
  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});
