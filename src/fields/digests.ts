/** Expected SHA-256 digests sent by clients: a hex form field or an RFC 9530 digest header. */
import { AppError } from '../errors.ts';

/** `sha256` form field: 64 hex digits (any case). */
export function parseHexSha256(value: string): string {
  const trimmed = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(trimmed)) {
    throw new AppError('invalid_digest', 'sha256 must be 64 hexadecimal digits.');
  }
  return trimmed;
}

/**
 * `Repr-Digest` / `Content-Digest: sha-256=:BASE64:` (RFC 9530). Returns the hex digest, or
 * undefined when the header carries no sha-256 member (other algorithms are ignored).
 */
export function parseDigestHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /(?:^|,)\s*sha-256\s*=\s*:([A-Za-z0-9+/]+={0,2}):/i.exec(header);
  if (!match?.[1]) return undefined;
  const bytes = Buffer.from(match[1], 'base64');
  if (bytes.length !== 32) throw new AppError('invalid_digest', 'The sha-256 digest header does not hold 32 bytes.');
  return bytes.toString('hex');
}
