import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from './project-files.ts';

let cached: string | undefined;

/** The service version, from package.json. */
export function serviceVersion(): string {
  cached ??= (JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
