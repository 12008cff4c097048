/**
 * HMAC-signed, expiring links for what the API serves itself (filesystem adapter): downloads,
 * and part uploads of direct uploads. The same client code then follows a URL in development
 * and an R2 presigned URL in production.
 */
import { timingSafeEqual } from 'node:crypto';
import { type HmacSha256Key, hmacSha256, hmacSha256Key } from './hmac-sha256.ts';

/** Links are built relative to the API's origin, which only the HTTP layer knows; this base is never shown. */
const RELATIVE = 'http://api.invalid';

export interface DownloadGrant {
  key: string;
  /** Unix seconds. */
  expires: number;
  filename: string;
  contentType: string;
}

/** What a part-upload link allows: one part of one upload, up to maxBytes, until expires. */
export interface PartGrant {
  uploadId: string;
  /** The session's owner: the part counts against this caller's upload cap. */
  owner: string;
  partNumber: number;
  /** Unix seconds. */
  expires: number;
  maxBytes: number;
  /** Base64 SHA-256 the part must have ('' for none). */
  sha256: string;
}

/** The query parameter that carries the signature (redacted in logs). */
export const SIGNATURE_PARAM = 'signature';

export class DownloadSigner {
  /** Prepared once: a manifest signs a link per file (createHmac per link cost ~10 µs each). */
  readonly #key: HmacSha256Key;

  constructor(secret: string | Buffer) {
    this.#key = hmacSha256Key(secret);
  }

  sign(grant: DownloadGrant): string {
    return this.#mac(['GET', grant.key, grant.expires, grant.filename, grant.contentType]);
  }

  signPart(grant: PartGrant): string {
    return this.#mac(['PUT', grant.uploadId, grant.owner, grant.partNumber, grant.expires, grant.maxBytes, grant.sha256]);
  }

  /** `/objects/uploads/{uploadId}/parts/{n}?owner=…&expires=…&max=…&sha256=…&signature=…`, relative to the API's origin. */
  partUrl(grant: PartGrant): string {
    const url = new URL(`/objects/uploads/${grant.uploadId}/parts/${grant.partNumber}`, RELATIVE);
    url.searchParams.set('owner', grant.owner);
    url.searchParams.set('expires', String(grant.expires));
    url.searchParams.set('max', String(grant.maxBytes));
    if (grant.sha256) url.searchParams.set('sha256', grant.sha256);
    url.searchParams.set(SIGNATURE_PARAM, this.signPart(grant));
    return url.pathname + url.search;
  }

  verifyPart(grant: PartGrant, signature: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
    if (!Number.isInteger(grant.expires) || grant.expires < nowSeconds) return false;
    return matches(this.signPart(grant), signature);
  }

  // Newline-separated fields: none of them can contain a newline (keys and filenames are validated).
  #mac(fields: Array<string | number>): string {
    return hmacSha256(this.#key, fields.join('\n')).toString('base64url');
  }

  /** `/objects/{key}?expires=…&filename=…&type=…&signature=…`, relative to the API's origin. */
  url(grant: DownloadGrant): string {
    const url = new URL(`/objects/${grant.key.split('/').map(encodeURIComponent).join('/')}`, RELATIVE);
    url.searchParams.set('expires', String(grant.expires));
    url.searchParams.set('filename', grant.filename);
    url.searchParams.set('type', grant.contentType);
    url.searchParams.set(SIGNATURE_PARAM, this.sign(grant));
    return url.pathname + url.search;
  }

  /** True when the signature matches and the link has not expired. */
  verify(grant: DownloadGrant, signature: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
    if (!Number.isInteger(grant.expires) || grant.expires < nowSeconds) return false;
    return matches(this.sign(grant), signature);
  }
}

function matches(expectedSignature: string, signature: string): boolean {
  const expected = Buffer.from(expectedSignature, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
