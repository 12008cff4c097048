/**
 * The object storage port. Adapters: S3 (R2, AWS S3, MinIO) and the local filesystem.
 * Both pass test/storage-contract.ts.
 */
import type { Readable } from 'node:stream';
import type { DownloadGrant, PartGrant } from './download-signature.ts';

export interface PutOptions {
  contentType: string;
  /** Aborting stops the transfer and leaves no object and no open multipart upload. */
  signal?: AbortSignal;
  /**
   * The body's chunks are socket reads nobody else holds (an upload's file part): the store may
   * free each once it has its bytes (releaseChunk in uploads/read-buffers.ts). Never for a body
   * made of buffers the caller keeps. Both stores do: S3 once a chunk is in a part buffer, the
   * filesystem once it is written.
   */
  releaseChunks?: boolean;
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
}

/** A part the store holds for a multipart upload (asked of the store, never of the client). */
export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

/** A presigned PUT of one part: the client sends the part's bytes to `url` with `headers`. */
export interface SignedPart {
  url: string;
  /** Headers the client must send as they are (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface SignPartOptions {
  expiresInSeconds: number;
  /**
   * The part's size in the plan: the URL takes a body of this many bytes and no more (S3 signs
   * it as Content-Length, so the store refuses any other; the filesystem adapter counts).
   */
  maxBytes: number;
  /** Base64 SHA-256 of the part: signed as `x-amz-checksum-sha256`, so a corrupted part is refused. */
  sha256Base64?: string | undefined;
  /** The session's owner: a store that receives parts through the API counts them against this caller. */
  owner: string;
}

export interface ObjectRead {
  body: Readable;
  /** The store's ETag, when it has one. */
  etag: string | undefined;
}

export interface ListPage {
  objects: StoredObject[];
  nextCursor: string | undefined;
}

/**
 * A store whose links the API serves itself (the filesystem adapter), through routes/api/objects.ts.
 * Its links are relative (`/objects/…`); the HTTP layer resolves them against the request's origin.
 */
export interface SelfServedObjects {
  /** The folder objects are read from, relative to which resolveDownload's path is. */
  readonly root: string;
  /** Checks a signed download link; what to send if it is valid. */
  resolveDownload(grant: DownloadGrant, signature: string): { filePath: string; filename: string; contentType: string };
  /** Throws part_link_invalid unless the link is signed and unexpired (checked before a byte is read). */
  checkPartLink(grant: PartGrant, signature: string): void;
  /** Receives one part of a direct upload through a signed link. */
  writePart(grant: PartGrant, signature: string, body: Readable, signal: AbortSignal): Promise<{ etag: string }>;
}

export interface ObjectStorage {
  /** Present when the API serves this store's links itself; S3 stores serve their own. */
  readonly selfServed?: SelfServedObjects | undefined;
  /**
   * How many bodies `put` can take at once without one waiting for memory (the S3 store's part
   * buffers); undefined: no such bound. Uploads beyond it wait before reading (InFlightUploads).
   */
  readonly concurrentBodies?: number | undefined;
  /** Streams a body of unknown length to `key`; the object appears only when complete. */
  put(key: string, body: Readable, options: PutOptions): Promise<{ etag: string }>;
  head(key: string): Promise<StoredObject | undefined>;
  /** Deletes `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]>;
  abortIncompleteUpload(upload: IncompleteUpload): Promise<void>;
  downloadUrl(key: string, options: DownloadUrlOptions): Promise<string>;
  /** Direct uploads: opens a multipart upload whose parts the client sends itself. */
  startMultipart(key: string, contentType: string): Promise<{ uploadId: string }>;
  signPartUpload(key: string, uploadId: string, partNumber: number, options: SignPartOptions): Promise<SignedPart>;
  /** The parts received so far, by part number; undefined when the upload no longer exists. */
  listParts(key: string, uploadId: string): Promise<StoredPart[] | undefined>;
  /**
   * Server-side copy into a direct upload: bytes [start, end) of another object of the same
   * account (`source.bucket`) become part `partNumber`, no byte passing through the API. S3
   * stores only (UploadPartCopy); absent on the filesystem store.
   */
  copyPart?(
    key: string,
    uploadId: string,
    partNumber: number,
    source: { bucket: string; key: string; start: number; end: number },
  ): Promise<void>;
  /** Assembles the parts (in part-number order) into the object at `key`. */
  completeMultipart(key: string, uploadId: string, parts: StoredPart[]): Promise<{ etag: string }>;
  /** Streams the object (verification reads it back once). */
  read(key: string, signal?: AbortSignal): Promise<ObjectRead>;
  /** Bytes [start, end) of the object (a Range request): Parquet footers and previews. */
  readRange(key: string, start: number, end: number): Promise<Buffer>;
  /** Throws storage_unavailable when the store cannot be reached (for /ready). */
  check(): Promise<void>;
  close(): Promise<void>;
}
