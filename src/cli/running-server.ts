/**
 * Where a server that holds the embedded data folder can be reached: it writes its address
 * into the folder while it serves, so `npm run reconcile` can ask it instead of opening the
 * folder a second time.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const fileIn = (dataDir: string) => path.join(dataDir, 'server.json');

export async function announceServer(dataDir: string, url: string): Promise<() => Promise<void>> {
  await fs.writeFile(fileIn(dataDir), `${JSON.stringify({ url, pid: process.pid })}\n`);
  return () => fs.rm(fileIn(dataDir), { force: true });
}

export async function runningServerUrl(dataDir: string): Promise<string | undefined> {
  try {
    const { url } = JSON.parse(await fs.readFile(fileIn(dataDir), 'utf8')) as { url?: unknown };
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}
