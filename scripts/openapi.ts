/**
 * Writes openapi.yaml from the route schemas (`npm run openapi`); `--check` fails when the
 * committed file differs from what the code produces.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../routes/app.ts';
import { loadConfig } from '../src/config.ts';
import { PgliteCaller } from '../src/metadata/pglite-caller.ts';
import { projectRoot } from '../src/project-files.ts';
import { createServices } from '../src/services.ts';

export async function renderOpenApiYaml(): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'xai-openapi-'));
  const logger = pino({ level: 'silent' });
  const metadata = await PgliteCaller.open(undefined);
  const services = await createServices(loadConfig({ DATA_DIR: dataDir }), logger, { metadata });
  const app = await buildApp({ services, logger });
  try {
    await app.ready();
    return app.swagger({ yaml: true });
  } finally {
    await app.close();
    await services.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

export const openApiFile = path.join(projectRoot(), 'openapi.yaml');

if (import.meta.main) {
  const yaml = await renderOpenApiYaml();
  if (process.argv.includes('--check')) {
    const committed = await fs.readFile(openApiFile, 'utf8').catch(() => '');
    if (committed !== yaml) {
      process.stderr.write('openapi.yaml is out of date: run npm run openapi\n');
      process.exit(1);
    }
  } else {
    await fs.writeFile(openApiFile, yaml);
    process.stdout.write(`wrote ${openApiFile}\n`);
  }
}
