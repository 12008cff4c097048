/**
 * What the upload pipeline consumes: the parts of a multipart request in arrival order,
 * independent of the HTTP framework (routes/ adapts @fastify/multipart to this).
 */
import type { Readable } from 'node:stream';

export interface FieldPart {
  kind: 'field';
  name: string;
  value: string;
  /** True when the value was cut at the field size limit. */
  truncated: boolean;
}

export interface FilePart {
  kind: 'file';
  name: string;
  filename: string;
  stream: Readable;
  /** True when the parser stopped at its own size limit (it truncates silently). */
  truncated(): boolean;
}

export type IncomingPart = FieldPart | FilePart;

export interface UploadContext {
  /** Aborted when the client disconnects or the server shuts down. */
  signal: AbortSignal;
  /** Hex SHA-256 from a Repr-Digest/Content-Digest header, for single-file requests. */
  headerSha256?: string | undefined;
}
