/**
 * S3 adapter: Cloudflare R2, AWS S3, MinIO (and s3rver in tests).
 * Uploads stream in equal parts (R2 wants equal non-final parts) with buffers from one pool shared
 * by all uploads, so upload memory is bounded by UPLOAD_MEMORY_BUDGET_BYTES whatever their number.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { StorageConfig } from '../config.ts';
import { MemoryBudget } from '../uploads/memory-budget.ts';
import { PartBufferPool } from './part-buffer-pool.ts';
import type {
  DownloadUrlOptions,
  IncompleteUpload,
  ListPage,
  ObjectRead,
  ObjectStorage,
  PutOptions,
  SignedPart,
  SignPartOptions,
  StoredObject,
  StoredPart,
} from './port.ts';
import { createS3Client } from './s3-client.ts';
import { S3LinkSigner } from './s3-link-signer.ts';
import { stripQuotes, writeMultipart } from './s3-multipart-writer.ts';
import { checkBucketAtStart } from './s3-startup-check.ts';
import { asStorageError } from './storage-error.ts';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/**
 * Each part buffer is filled from socket reads, and those buffers are upload memory too:
 * measured under load (8 uploads at once, bench/README.md session 8), 15–30 MiB of them were
 * alive or awaiting collection beside 16 part buffers of 8 MiB. So each buffer's share of the
 * budget includes 1 MiB for them: 14 buffers of 8 MiB in the default 128 MiB budget, not 16.
 * Since then each read is freed once copied (releaseChunk, session 9); the share stays for the
 * reads still queued in a request's streams, and keeps the memory rows clear of their bound.
 */
const READ_BUFFERS_PER_PART = 1024 * 1024;

export class S3Storage implements ObjectStorage {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #queueSize: number;
  readonly #pool: PartBufferPool;
  readonly #links: S3LinkSigner;
  readonly #stopResizing: () => void;

  constructor(config: S3Config, options: { maxAttempts?: number; budget?: MemoryBudget } = {}) {
    this.#bucket = config.bucket;
    this.#queueSize = config.queueSize;
    // Every upload's parts in flight come from one pool: UPLOAD_MEMORY_BUDGET_BYTES is a bound,
    // less what the process reserves of it elsewhere (the profiling thread, while it runs).
    const budget = options.budget ?? new MemoryBudget();
    this.#pool = new PartBufferPool(config.partSize, config.memoryBudgetBytes, () => budget.reserved, {
      readBytesPerPart: READ_BUFFERS_PER_PART,
    });
    this.#stopResizing = budget.onChange(() => this.#pool.resize());
    const client = createS3Client(config, options);
    this.#client = client;
    this.#links = new S3LinkSigner(config, client.config.sha256);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ etag: string }> {
    // Aborting destroys the body too, so an upload waiting on a slow client stops at once.
    const signal = options.signal ?? new AbortController().signal;
    const onAbort = () => body.destroy(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      return await writeMultipart({
        client: this.#client,
        bucket: this.#bucket,
        key,
        contentType: options.contentType,
        body,
        pool: this.#pool,
        queueSize: this.#queueSize,
        signal,
        releaseChunks: options.releaseChunks === true,
      });
    } catch (error) {
      body.destroy();
      if (signal.aborted) throw abortReason(signal);
      throw asStorageError(error, 'upload');
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Every upload needs a part buffer to progress: one upload reads per buffer. */
  get concurrentBodies(): number {
    return this.#pool.count;
  }

  /** The shared part buffers (for tests and benchmarks). */
  get partBuffers(): PartBufferPool {
    return this.#pool;
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
    // Signing is local computation: no request reaches R2 here.
    return this.#links.sign(key, options);
  }

  async startMultipart(key: string, contentType: string): Promise<{ uploadId: string }> {
    try {
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key, ContentType: contentType }),
      );
      if (!created.UploadId) throw new Error('CreateMultipartUpload answered no UploadId');
      return { uploadId: created.UploadId };
    } catch (error) {
      throw asStorageError(error, 'start a multipart upload');
    }
  }

  async signPartUpload(key: string, uploadId: string, partNumber: number, options: SignPartOptions): Promise<SignedPart> {
    // Local computation, like download links: the client's PUT goes to R2, not through us.
    const expiresAt = new Date(Date.now() + options.expiresInSeconds * 1000);
    const signed = await this.#links.signPart(
      key,
      { uploadId, partNumber, size: options.maxBytes, sha256Base64: options.sha256Base64 },
      { expiresInSeconds: options.expiresInSeconds },
    );
    return { ...signed, expiresAt };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[] | undefined> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const result = await this.#client.send(
          new ListPartsCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
        );
        for (const part of result.Parts ?? []) {
          if (part.PartNumber === undefined) continue;
          parts.push({ partNumber: part.PartNumber, size: part.Size ?? 0, etag: stripQuotes(part.ETag ?? '') });
        }
        marker = result.IsTruncated ? result.NextPartNumberMarker : undefined;
      } while (marker);
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw asStorageError(error, 'list the parts of an upload');
    }
  }

  async copyPart(
    key: string,
    uploadId: string,
    partNumber: number,
    source: { bucket: string; key: string; start: number; end: number },
  ): Promise<void> {
    try {
      await this.#client.send(
        new UploadPartCopyCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`,
          CopySourceRange: `bytes=${source.start}-${source.end - 1}`,
        }),
      );
    } catch (error) {
      throw asStorageError(error, 'copy a part');
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: StoredPart[]): Promise<{ etag: string }> {
    try {
      const result = await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: `"${part.etag}"` })) },
        }),
      );
      return { etag: stripQuotes(result.ETag ?? '') };
    } catch (error) {
      throw asStorageError(error, 'complete a multipart upload');
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<ObjectRead> {
    try {
      const result = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key }),
        signal ? { abortSignal: signal } : {},
      );
      return { body: result.Body as Readable, etag: result.ETag ? stripQuotes(result.ETag) : undefined };
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw asStorageError(error, 'read the object');
    }
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    if (end <= start) return Buffer.alloc(0);
    try {
      const result = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
      );
      return Buffer.from(await (result.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (error) {
      throw asStorageError(error, 'read part of the object');
    }
  }

  /** Once at start: exits-worthy misconfiguration becomes a ConfigError naming the variable. */
  checkAtStart(): Promise<void> {
    return checkBucketAtStart(this.#client, this.#bucket);
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
    this.#stopResizing();
    this.#client.destroy();
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('upload aborted');
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
