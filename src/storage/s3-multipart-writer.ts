/**
 * Streams a body of unknown length into one S3 object in equal parts (R2 wants every part
 * but the last of one size), with part buffers from the shared pool. Replaces lib-storage's
 * Upload, which sized each upload's queue at its start and copied every part into fresh memory,
 * so that memory across uploads had no bound. Kept from it: parts retried by the SDK (a Buffer
 * body can be resent), at most `queueSize` parts in flight per upload, a single PutObject for a
 * body smaller than one part, and on any failure the multipart upload aborted, nothing left.
 */
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { releaseChunk } from '../uploads/read-buffers.ts';
import type { PartBufferPool } from './part-buffer-pool.ts';

export interface MultipartWrite {
  client: S3Client;
  bucket: string;
  key: string;
  contentType: string;
  body: Readable;
  pool: PartBufferPool;
  queueSize: number;
  signal: AbortSignal;
  /** Free each chunk once copied (PutOptions.releaseChunks). */
  releaseChunks: boolean;
}

export async function writeMultipart(write: MultipartWrite): Promise<{ etag: string }> {
  const { client, bucket, key, pool, signal } = write;
  const partSize = pool.partSize;
  let uploadId: string | undefined;
  const completed: Array<{ PartNumber: number; ETag: string }> = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let buffer: Buffer | undefined;
  let filled = 0;

  const startUpload = async () => {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: write.contentType }),
      { abortSignal: signal },
    );
    uploadId = created.UploadId;
  };

  const sendPart = (part: Buffer, length: number, partNumber: number) => {
    const task = client
      .send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: part.subarray(0, length),
          ContentLength: length,
        }),
        { abortSignal: signal },
      )
      .then((result) => {
        completed.push({ PartNumber: partNumber, ETag: result.ETag ?? '' });
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        pool.release(part);
        inFlight.delete(task);
      });
    inFlight.add(task);
  };

  try {
    let partNumber = 0;
    for await (const chunk of write.body as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; ) {
        if (failure) throw failure;
        if (!buffer) {
          // A full part waits here for a free slot and a free buffer: the body is not read meanwhile.
          while (inFlight.size >= write.queueSize) await Promise.race(inFlight);
          buffer = await pool.acquire(signal);
          filled = 0;
        }
        const copied = chunk.copy(buffer, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === partSize) {
          uploadId ?? (await startUpload());
          partNumber += 1;
          sendPart(buffer, filled, partNumber);
          buffer = undefined;
        }
      }
      // Its bytes are in a part buffer: the read's memory goes back now, not at a collection.
      if (write.releaseChunks) releaseChunk(chunk);
    }
    signal.throwIfAborted();
    if (uploadId === undefined) {
      // Smaller than one part: one request, no multipart upload to leave behind.
      const body = buffer ? buffer.subarray(0, filled) : Buffer.alloc(0);
      const result = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: write.contentType,
        }),
        { abortSignal: signal },
      );
      return { etag: stripQuotes(result.ETag ?? '') };
    }
    if (buffer && filled > 0) {
      partNumber += 1;
      sendPart(buffer, filled, partNumber);
      buffer = undefined;
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    completed.sort((a, b) => a.PartNumber - b.PartNumber);
    const result = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
      }),
      { abortSignal: signal },
    );
    return { etag: stripQuotes(result.ETag ?? '') };
  } catch (error) {
    await Promise.allSettled([...inFlight]);
    if (uploadId) await abortQuietly(client, bucket, key, uploadId);
    throw failure ?? error;
  } finally {
    if (buffer) pool.release(buffer);
  }
}

async function abortQuietly(client: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  } catch {
    // The store is down; the reconciler aborts what is left.
  }
}

export function stripQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}
