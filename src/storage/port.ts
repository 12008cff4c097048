/**
 * The object storage port. Adapters: S3 (R2, AWS S3, MinIO) and the local filesystem.
 * Both pass test/storage-contract.ts.
 */
import type { Readable } from 'node:stream';

export interface PutOptions {
  contentType: string;
  /** Aborting stops the transfer and leaves no object and no open multipart upload. */
  signal?: AbortSignal;
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

export interface DownloadUrlOptions {
  expiresInSeconds: number;
  /** Sent back as `Content-Disposition: attachment; filename*=...`. */
  filename: string;
  contentType: string;
  /** Origin for URLs the API serves itself (filesystem adapter); ignored by S3. */
  baseUrl: string;
}

export interface ListPage {
  objects: StoredObject[];
  nextCursor: string | undefined;
}

export interface ObjectStorage {
  /** Streams a body of unknown length to `key`; the object appears only when complete. */
  put(key: string, body: Readable, options: PutOptions): Promise<{ etag: string }>;
  head(key: string): Promise<StoredObject | undefined>;
  /** Deletes `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]>;
  abortIncompleteUpload(upload: IncompleteUpload): Promise<void>;
  downloadUrl(key: string, options: DownloadUrlOptions): Promise<string>;
  /** Throws storage_unavailable when the store cannot be reached (for /ready). */
  check(): Promise<void>;
  close(): Promise<void>;
}
