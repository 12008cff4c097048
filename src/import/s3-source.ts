/**
 * An S3-compatible bucket as an import source: an R2 bucket filled in the platform's layout, or
 * Supabase Storage through its S3 endpoint. Only listed and read, never written to.
 */
import type { Readable } from 'node:stream';
import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { ImportSource, SourceObject } from './source.ts';

export interface S3SourceSettings {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** Keys under this prefix ('' for the whole bucket); listed relative to it. */
  prefix: string;
}

/** s3://bucket/prefix → bucket and prefix ('' or ending in '/'). */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match?.[1]) return undefined;
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: match[1], prefix: prefix ? `${prefix}/` : '' };
}

export class S3Source implements ImportSource {
  readonly description: string;
  readonly #client: S3Client;
  readonly #settings: S3SourceSettings;

  constructor(settings: S3SourceSettings) {
    this.#settings = settings;
    this.description = `s3://${settings.bucket}/${settings.prefix} at ${new URL(settings.endpoint).host}`;
    this.#client = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      // R2, MinIO and Supabase Storage's S3 endpoint all take path-style requests.
      forcePathStyle: true,
    });
  }

  async *list(): AsyncIterable<SourceObject> {
    const { bucket, prefix } = this.#settings;
    for await (const page of paginateListObjectsV2({ client: this.#client }, { Bucket: bucket, Prefix: prefix || undefined })) {
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue; // folder markers
        yield { key: object.Key.slice(prefix.length), size: object.Size ?? 0 };
      }
    }
  }

  async open(key: string): Promise<Readable> {
    const answer = await this.#client.send(
      new GetObjectCommand({ Bucket: this.#settings.bucket, Key: this.#settings.prefix + key }),
    );
    return answer.Body as Readable;
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
