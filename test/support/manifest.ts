/**
 * A dataset version's digest recomputed from its files, as the README documents it (and as a
 * user would): SHA-256 of the JSON array of {path, sha256, size} sorted by path in code-point
 * order (UTF-8 byte order), keys in that order, no whitespace.
 */
import { createHash } from 'node:crypto';

export function manifestDigest(files: ReadonlyArray<{ path: string; sha256: string; size: number }>): string {
  const manifest = [...files]
    .sort((a, b) => Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8')))
    .map(({ path, sha256, size }) => ({ path, sha256, size }));
  return createHash('sha256').update(JSON.stringify(manifest), 'utf8').digest('hex');
}
