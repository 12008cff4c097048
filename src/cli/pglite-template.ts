/**
 * Builds the embedded database's template (src/metadata/pglite-template.ts) ahead of the first
 * start: `npm run build` and the Docker image run it, so a new DATA_DIR starts in well under a
 * second instead of the 4–6 s of initdb in WASM. Prints where it is.
 */
import { buildTemplate } from '../metadata/pglite-template.ts';

const started = performance.now();
const template = await buildTemplate();
process.stdout.write(`PGlite template ready in ${Math.round(performance.now() - started)} ms: ${template.dir}\n`);
