/**
 * Presigned URLs, computed directly. The SDK's getSignedUrl clones the client's whole
 * middleware stack and resolves the endpoint for every link (about a third of the API's CPU
 * under link traffic); a link is a few HMACs over a URL that only the key and the response
 * headers change. Download links (sign) follow SigV4's query signing here, by hand: through the
 * SDK's SignatureV4 a link cost 86 µs, so a dataset version's manifest of 1,000 files spent 86
 * ms signing; by hand 27 µs, of which 10 µs were `createHmac` alone, so the last HMAC uses the
 * day's key prepared once (hmac-sha256.ts): 8 µs a link. Part links (signPart, a few per upload) keep the SDK's signer.
 * The URLs produced are byte for byte the ones getSignedUrl produces (a test compares them); the
 * signing key and its pads are cached per day.
 */
import { createHmac, hash } from 'node:crypto';
import { formatUrl } from '@aws-sdk/core/util';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ChecksumConstructor, HashConstructor } from '@smithy/types';
import { attachmentDisposition } from './content-disposition.ts';
import { type HmacSha256Key, hmacSha256, hmacSha256Key } from './hmac-sha256.ts';

export interface LinkSignerConfig {
  endpoint: string;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface LinkOptions {
  expiresInSeconds: number;
  filename: string;
  contentType: string;
  /** For tests comparing with the SDK: sign as of this instant. */
  signingDate?: Date;
}

export class S3LinkSigner {
  readonly #signer: SignatureV4;
  readonly #region: string;
  readonly #accessKeyId: string;
  readonly #secretAccessKey: string;
  /** The day's signing key, by its yyyymmdd, as HMAC's inner and outer pads. */
  #signingKey: { day: string; key: HmacSha256Key } | undefined;
  readonly #protocol: string;
  readonly #hostname: string;
  readonly #port: number | undefined;
  readonly #pathPrefix: string;

  constructor(config: LinkSignerConfig, sha256: ChecksumConstructor | HashConstructor) {
    this.#signer = new SignatureV4({
      service: 's3',
      region: config.region,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      sha256,
      // S3 keys are escaped once, here, not again by the signer.
      uriEscapePath: false,
      applyChecksum: false,
    });
    this.#region = config.region;
    this.#accessKeyId = config.accessKeyId;
    this.#secretAccessKey = config.secretAccessKey;
    const endpoint = new URL(config.endpoint);
    this.#protocol = endpoint.protocol;
    this.#port = endpoint.port ? Number(endpoint.port) : undefined;
    const basePath = endpoint.pathname.replace(/\/+$/, '');
    // As the SDK's endpoint rules do: the bucket in the host name when it can be one, else in the
    // path. An IP-address endpoint (MinIO or a test server at 127.0.0.1:9000) is always path style:
    // `bucket.127.0.0.1` is no host.
    if (config.forcePathStyle || isIpAddress(endpoint.hostname) || !isVirtualHostable(config.bucket, endpoint.protocol)) {
      this.#hostname = endpoint.hostname;
      this.#pathPrefix = `${basePath}/${config.bucket}/`;
    } else {
      this.#hostname = `${config.bucket}.${endpoint.hostname}`;
      this.#pathPrefix = `${basePath}/`;
    }
  }

  async sign(key: string, options: LinkOptions): Promise<string> {
    const now = options.signingDate ?? new Date();
    const stamp = now.toISOString().replace(/[-:]|\.\d{3}/g, ''); // 20261206T214000Z
    const day = stamp.slice(0, 8);
    const scope = `${day}/${this.#region}/s3/aws4_request`;
    const path = this.#path(key);
    // Sorted by name, as the canonical query string and getSignedUrl's URL both have them (the
    // names need no escaping).
    const query: Array<[string, string]> = [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
      ['X-Amz-Credential', `${this.#accessKeyId}/${scope}`],
      ['X-Amz-Date', stamp],
      ['X-Amz-Expires', String(options.expiresInSeconds)],
      ['X-Amz-SignedHeaders', 'host'],
      ['response-content-disposition', attachmentDisposition(options.filename)],
      ['response-content-type', options.contentType],
      ['x-id', 'GetObject'],
    ];
    const pairs = query.map(([name, value]) => `${name}=${escapeUri(value)}`);
    const canonicalQuery = pairs.join('&');
    const canonicalRequest = `GET\n${path}\n${canonicalQuery}\nhost:${this.#host()}\n\nhost\nUNSIGNED-PAYLOAD`;
    const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${hash('sha256', canonicalRequest)}`;
    const signature = hmacSha256(this.#keyFor(day), stringToSign).toString('hex');
    // The URL's query is the canonical one with X-Amz-Signature in its sorted place (after X-Amz-Expires).
    pairs.splice(5, 0, `X-Amz-Signature=${signature}`);
    return `${this.#protocol}//${this.#host()}${path}?${pairs.join('&')}`;
  }

  /** HMAC chain of SigV4: secret → day → region → service → aws4_request, once a day. */
  #keyFor(day: string): HmacSha256Key {
    if (this.#signingKey?.day === day) return this.#signingKey.key;
    let key = createHmac('sha256', `AWS4${this.#secretAccessKey}`).update(day).digest();
    for (const part of [this.#region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    const prepared = hmacSha256Key(key);
    this.#signingKey = { day, key: prepared };
    return prepared;
  }

  /**
   * A presigned UploadPart bound to the part's exact size: `content-length` is a signed header,
   * so the store refuses a body of any other length (a 10-byte session's part URL cannot take
   * 16 MiB). With a part checksum, `x-amz-checksum-sha256` stays a signed header too (not
   * hoisted into the query): the client must send it, and the store checks the bytes against it.
   * The URL is the one getSignedUrl makes for UploadPart with ContentLength (a test compares).
   */
  async signPart(
    key: string,
    part: { uploadId: string; partNumber: number; size: number; sha256Base64?: string | undefined },
    options: { expiresInSeconds: number; signingDate?: Date },
  ): Promise<{ url: string; headers: Record<string, string> }> {
    const checksum: Record<string, string> = part.sha256Base64 ? { 'x-amz-checksum-sha256': part.sha256Base64 } : {};
    const presigned = await this.#signer.presign(
      {
        ...this.#request('PUT', key),
        query: { partNumber: String(part.partNumber), uploadId: part.uploadId, 'x-id': 'UploadPart' },
        headers: {
          host: this.#host(),
          'content-length': String(part.size),
          'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
          ...checksum,
        },
      },
      {
        expiresIn: options.expiresInSeconds,
        unsignableHeaders: new Set(['content-type']),
        unhoistableHeaders: new Set(Object.keys(checksum)),
        ...(options.signingDate ? { signingDate: options.signingDate } : {}),
      },
    );
    // Content-Length is not the client's to set (browsers and HTTP libraries send the body's own
    // length); only headers it must add are handed on.
    return { url: formatUrl(presigned), headers: checksum };
  }

  #host(): string {
    return this.#port === undefined ? this.#hostname : `${this.#hostname}:${this.#port}`;
  }

  #path(key: string): string {
    return this.#pathPrefix + key.split('/').map(encodeKeySegment).join('/');
  }

  #request(method: 'GET' | 'PUT', key: string) {
    return {
      method,
      protocol: this.#protocol,
      hostname: this.#hostname,
      ...(this.#port === undefined ? {} : { port: this.#port }),
      path: this.#path(key),
    };
  }
}

/** RFC 3986 escaping of one key segment, as the SDK's serializer does it. */
function encodeKeySegment(segment: string): string {
  return escapeUri(segment);
}

/** RFC 3986 escaping, as SigV4 and the SDK's query serializer do it. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The SDK's test (@smithy/core endpoints): a dotted IPv4 address, or an IPv6 address in brackets. */
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)){3}$/;
function isIpAddress(hostname: string): boolean {
  return IPV4.test(hostname) || (hostname.startsWith('[') && hostname.endsWith(']'));
}

/** A bucket name that can be a DNS label (and, over TLS, has no dots to break the certificate). */
function isVirtualHostable(bucket: string, protocol: string): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return false;
  }
  return !(protocol === 'https:' && bucket.includes('.'));
}
