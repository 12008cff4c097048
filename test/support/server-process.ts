/** The real server process (`node routes/server.ts`), as npm start and the Docker image run it. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { projectRoot } from '../../src/project-files.ts';

export interface ServerProcess {
  child: ChildProcess;
  /** What it printed so far (capped, so a chatty server cannot fill the test's memory). */
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the base URL once it listens; rejects if it exits or takes over 30 s. */
  listening(): Promise<string>;
}

/** With `t`, the process is killed when the test ends (whatever it did). */
export function startServerProcess(env: Record<string, string>, t?: TestContext): ServerProcess {
  let output = '';
  const child = spawn(process.execPath, [path.join(projectRoot(), 'routes/server.ts')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t?.after(() => child.kill('SIGKILL'));
  const keep = (chunk: Buffer) => {
    if (output.length < 256 * 1024) output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  return {
    child,
    output: () => output,
    exited,
    async listening() {
      for (let waited = 0; waited < 30_000; waited += 50) {
        const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (base) return base;
        if (exitCode !== undefined) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the server did not start:\n${output}`);
    },
  };
}
