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
