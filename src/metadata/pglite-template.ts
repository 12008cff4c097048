/**
 * A PGlite database with every migration applied, built once per PGlite build and migration set,
 * and copied into each new data folder (or loaded into memory). Creating a database is initdb in
 * WASM, 4–6 s and ~1 GiB of memory; copying the template and opening it takes well under one.
 *
 * The template lives under node_modules/.cache (the Docker image builds it at build time,
 * `npm run build` too); the first start without one builds it on the way. Anything failing here
 * only means the slow way: a database created from scratch.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { projectRoot } from '../project-files.ts';
import { applyMigrations, sqlSourceDigest } from './migrations.ts';

/**
 * Shared buffers of 16 MiB instead of 128: the metadata is small, and the 128 MiB were both
 * resident memory (an embedded process at 292 MiB, 163 with this) and ~0.4 s of every start.
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

export interface PgliteTemplate {
  /** A closed data folder to copy. */
  dir: string;
  /** The same, as PGlite's gzipped dump, for databases in memory. */
  dump: string;
}

/** Node's WebAssembly global, which the ES library this project compiles against does not declare. */
const wasm = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<PGliteOptions['pgliteWasmModule']> } }
).WebAssembly;

/**
 * PGlite's WASM (9 MB), its compilation started now: V8 compiles on background threads, so a start
 * copying its template meanwhile (a blocking copy) no longer waits for the two one after the other.
 */
export async function compilePgliteWasm(): Promise<PGliteOptions['pgliteWasmModule']> {
  try {
    // Read synchronously so that the compilation is under way before this returns.
    const bytes = readFileSync(fileURLToPath(import.meta.resolve('@electric-sql/pglite/pglite.wasm')));
    return await wasm.compile(bytes);
  } catch {
    return undefined; // PGlite then compiles it itself
  }
}

async function templateKey(): Promise<string> {
  const wasm = fileURLToPath(import.meta.resolve('@electric-sql/pglite/pglite.wasm'));
  const pglite = JSON.parse(await fs.readFile(path.join(path.dirname(wasm), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const hash = createHash('sha256').update(`pglite ${pglite.version}\n${PGLITE_START_PARAMS.join(' ')}\n${TEMPLATE_LAYOUT}\n`);
  hash.update(await sqlSourceDigest());
  return hash.digest('hex').slice(0, 16);
}

async function templatePaths(): Promise<PgliteTemplate> {
  const dir = path.join(projectRoot(), 'node_modules', '.cache', 'xai-artifact-api', `pglite-${await templateKey()}`);
  return { dir: path.join(dir, 'data'), dump: path.join(dir, 'data.tar.gz') };
}

/** What the template holds besides the migrations; a change here builds it anew. */
const TEMPLATE_LAYOUT = 'one database: template0 and template1 dropped';

/**
 * initdb leaves three databases (template0, template1, postgres), ~300 files each; the API uses
 * only `postgres` and never creates a database. Dropping the two templates leaves 455 files of
 * 1,055, and a first start copies them in ~0.4 s instead of ~1.1 s (files are what a copy costs
 * here, ~0.8 ms each, not bytes).
 */
async function dropTemplateDatabases(db: PGlite): Promise<void> {
  await db.exec(`update pg_database set datistemplate = false where datname in ('template0', 'template1')`);
  await db.exec('drop database template0');
  await db.exec('drop database template1');
  await db.exec('checkpoint');
}

/** The template for this PGlite and these migrations, if it has been built. */
export async function existingTemplate(): Promise<PgliteTemplate | undefined> {
  try {
    const template = await templatePaths();
    return existsSync(template.dump) ? template : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the template unless it exists. Built beside its final place and renamed into it, so a
 * process that sees it sees it whole, and concurrent builders do not collide (one rename wins).
 */
export async function buildTemplate(): Promise<PgliteTemplate> {
  const template = await templatePaths();
  if (existsSync(template.dump)) return template;
  const home = path.dirname(template.dir);
  const scratch = `${home}.${process.pid}.${Date.now()}`;
  await fs.mkdir(scratch, { recursive: true });
  try {
    const db = await PGlite.create(path.join(scratch, 'data'), { startParams: PGLITE_START_PARAMS });
    try {
      await migratePglite(db);
      await dropTemplateDatabases(db);
      const dump = await db.dumpDataDir('gzip');
      await fs.writeFile(path.join(scratch, 'data.tar.gz'), Buffer.from(await dump.arrayBuffer()));
    } finally {
      await db.close();
    }
    await fs.rename(scratch, home).catch(async (error: NodeJS.ErrnoException) => {
      if (!existsSync(template.dump)) throw error;
    });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return template;
}

/** Applies the migrations to a PGlite database (its adapter and the template builder). */
export function migratePglite(db: PGlite): Promise<string[]> {
  return applyMigrations((work) =>
    db.transaction((tx) =>
      work({
        exec: async (script) => {
          await tx.exec(script);
        },
        query: async (text, params = []) => (await tx.query<Record<string, unknown>>(text, params)).rows,
      }),
    ),
  );
}

/**
 * A new data folder (missing or empty) starts as a copy of the template, built first if need
 * be; copied beside it and renamed, so a crash never leaves half a database. Any failure leaves
 * the folder as it was, for PGlite to create the database itself.
 */
export async function seedFromTemplate(dataDir: string): Promise<boolean> {
  const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
  if (entries.length > 0) return false;
  const scratch = `${dataDir}.seed-${process.pid}`;
  try {
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
    const template = (await existingTemplate()) ?? (await buildTemplate());
    await fs.rm(scratch, { recursive: true, force: true });
    // Synchronous: it runs before the server listens, and Node's native cpSync is several times
    // quicker than the promise-based fs.cp.
    cpSync(template.dir, scratch, { recursive: true });
    await fs.rm(dataDir, { recursive: true, force: true });
    await fs.rename(scratch, dataDir);
    return true;
  } catch {
    await fs.rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    return false;
  }
}

/** A database in memory: from the template's dump when there is one, else created (initdb). */
export async function pgliteInMemory(): Promise<PGlite> {
  const template = await existingTemplate();
  if (!template) return PGlite.create({ startParams: PGLITE_START_PARAMS });
  const dump = new Blob([await fs.readFile(template.dump)]);
  return PGlite.create({ loadDataDir: dump, startParams: PGLITE_START_PARAMS });
}
