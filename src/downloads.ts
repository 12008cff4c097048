/** The answer of every download endpoint: a short-lived URL the client fetches directly. */
import type { ObjectStorage } from './storage/port.ts';

export interface DownloadRequest {
  expiresInSeconds: number;
}

export interface DownloadLink {
  /** Absolute for S3 stores; relative (`/objects/…`) when the API serves the link itself. */
  url: string;
  expiresAt: string;
  filename: string;
  size: number;
  sha256: string;
  contentType: string;
}

export async function downloadLink(
  storage: ObjectStorage,
  object: { key: string; filename: string; size: number; sha256: string; contentType: string },
  request: DownloadRequest,
): Promise<DownloadLink> {
  const expiresAt = new Date(Date.now() + request.expiresInSeconds * 1000);
  const url = await storage.downloadUrl(object.key, {
    expiresInSeconds: request.expiresInSeconds,
    filename: object.filename,
    contentType: object.contentType,
  });
  return {
    url,
    expiresAt: expiresAt.toISOString(),
    filename: object.filename,
    size: object.size,
    sha256: object.sha256,
    contentType: object.contentType,
  };
}
