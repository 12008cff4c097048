/**
 * HMAC-signed, expiring download links for objects the API serves itself (filesystem adapter):
 * the same client code then follows a URL in development and an R2 presigned URL in production.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface DownloadGrant {
  key: string;
  /** Unix seconds. */
  expires: number;
  filename: string;
  contentType: string;
}

/** The query parameter that carries the signature (redacted in logs). */
export const SIGNATURE_PARAM = 'signature';

export class DownloadSigner {
  readonly #secret: Buffer;

  constructor(secret: string | Buffer) {
    this.#secret = Buffer.isBuffer(secret) ? secret : Buffer.from(secret, 'utf8');
  }

  sign(grant: DownloadGrant): string {
    // Newline-separated fields: none of them can contain a newline (keys and filenames are validated).
    const payload = ['GET', grant.key, grant.expires, grant.filename, grant.contentType].join('\n');
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }

  /** Builds `/objects/{key}?expires=…&filename=…&type=…&signature=…` under baseUrl. */
  url(baseUrl: string, grant: DownloadGrant): string {
    const url = new URL(`${baseUrl.replace(/\/+$/, '')}/objects/${grant.key.split('/').map(encodeURIComponent).join('/')}`);
    url.searchParams.set('expires', String(grant.expires));
    url.searchParams.set('filename', grant.filename);
    url.searchParams.set('type', grant.contentType);
    url.searchParams.set(SIGNATURE_PARAM, this.sign(grant));
    return url.toString();
  }

  /** True when the signature matches and the link has not expired. */
  verify(grant: DownloadGrant, signature: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
    if (!Number.isInteger(grant.expires) || grant.expires < nowSeconds) return false;
    const expected = Buffer.from(this.sign(grant), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
