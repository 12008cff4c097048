/**
 * S3 adapter: Cloudflare R2, AWS S3, MinIO (and s3rver in tests).
 * Uploads stream through lib-storage at a fixed part size (R2 wants equal non-final parts),
 * so memory per upload is at most partSize x queueSize whatever the object's size.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { StorageConfig } from '../config.ts';
import { attachmentDisposition } from './content-disposition.ts';
import type { DownloadUrlOptions, IncompleteUpload, ListPage, ObjectStorage, PutOptions, StoredObject } from './port.ts';
import { asStorageError } from './storage-error.ts';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

export class S3Storage implements ObjectStorage {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #budgetParts: number;
  #active = 0;

  constructor(config: S3Config, options: { maxAttempts?: number } = {}) {
    this.#bucket = config.bucket;
    this.#partSize = config.partSize;
    this.#queueSize = config.queueSize;
    this.#budgetParts = Math.max(1, Math.floor(config.memoryBudgetBytes / config.partSize));
    this.#client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      // The SDK's default CRC checksums break streamed uploads on several S3-compatible servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Transient errors on a part are retried by the SDK (standard mode, with backoff).
      maxAttempts: options.maxAttempts ?? 3,
      // Fail fast on a dead endpoint; a socket with no progress for a minute is dead too.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    });
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ etag: string }> {
    // On abort the body is destroyed rather than lib-storage's own controller used: the body
    // error then runs lib-storage's failure path, which waits for in-flight parts and aborts
    // the multipart upload before done() rejects (its controller rejects at once and cleans
    // up later, leaving an upload open for a while).
    const onAbort = () => body.destroy(abortReason(options.signal));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    // Parts in flight are the memory an upload holds (queueSize x partSize). Uploads share one
    // budget: each starts with its share of it, so many at once do not multiply the memory.
    this.#active += 1;
    const queueSize = Math.max(1, Math.min(this.#queueSize, Math.floor(this.#budgetParts / this.#active)));
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, Body: body, ContentType: options.contentType },
      partSize: this.#partSize,
      queueSize,
      leavePartsOnError: false,
    });
    try {
      const result = await upload.done();
      return { etag: stripQuotes(result.ETag ?? '') };
    } catch (error) {
      // Belt and braces: if lib-storage could not abort (the store failed), try once more.
      const uploadId = (upload as unknown as { uploadId?: string }).uploadId;
      if (uploadId) await this.#abortQuietly(key, uploadId);
      body.destroy();
      if (options.signal?.aborted) throw abortReason(options.signal);
      throw asStorageError(error, 'upload');
    } finally {
      this.#active -= 1;
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const result = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { key, size: result.ContentLength ?? 0, lastModified: result.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw asStorageError(error, 'head');
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw asStorageError(error, 'delete');
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    try {
      const result = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          ContinuationToken: options.cursor,
          MaxKeys: options.limit ?? 1000,
        }),
      );
      return {
        objects: (result.Contents ?? []).map((item) => ({
          key: item.Key ?? '',
          size: item.Size ?? 0,
          lastModified: item.LastModified ?? new Date(0),
        })),
        nextCursor: result.IsTruncated ? result.NextContinuationToken : undefined,
      };
    } catch (error) {
      throw asStorageError(error, 'list');
    }
  }

  async listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]> {
    const uploads: IncompleteUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      do {
        const result = await this.#client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.#bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const item of result.Uploads ?? []) {
          if (item.Key && item.UploadId) {
            uploads.push({ key: item.Key, uploadId: item.UploadId, initiated: item.Initiated ?? new Date(0) });
          }
        }
        keyMarker = result.IsTruncated ? result.NextKeyMarker : undefined;
        uploadIdMarker = result.IsTruncated ? result.NextUploadIdMarker : undefined;
      } while (keyMarker);
      return uploads;
    } catch (error) {
      throw asStorageError(error, 'list multipart uploads');
    }
  }

  async abortIncompleteUpload(upload: IncompleteUpload): Promise<void> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: upload.key, UploadId: upload.uploadId }),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw asStorageError(error, 'abort multipart upload');
    }
  }

  async downloadUrl(key: string, options: DownloadUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentDisposition: attachmentDisposition(options.filename),
      ResponseContentType: options.contentType,
    });
    // Signing is local computation: no request reaches R2 here.
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }

  async check(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }), {
        abortSignal: AbortSignal.timeout(5000),
      });
    } catch (error) {
      throw asStorageError(error, 'reach the bucket');
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  async #abortQuietly(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }));
    } catch {
      // Already aborted by lib-storage, or the store is down; the reconciler aborts what is left.
    }
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('upload aborted');
}

function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return (
    error.$metadata.httpStatusCode === 404 ||
    error.name === 'NotFound' ||
    error.name === 'NoSuchKey' ||
    error.name === 'NoSuchUpload'
  );
}
