/**
 * Uppy's @uppy/aws-s3 (v5, whose multipart callbacks this wires) on the API's direct uploads:
 * Uppy sends the parts straight to R2 with the URLs the API signs, and the API keeps what it
 * owns — the checks before a byte moves, the part plan, completion and verification.
 *
 *   uppy.use(AwsS3, directUploadCallbacks({ baseUrl: API, token, target: (file) => ({ … }) }))
 *
 * Uppy cuts the file before it creates the upload, so the chunk size is computed here and sent
 * as `partSize`: both sides agree on the plan (R2 wants equal parts but the last).
 */
import type { UploadSession, UploadTarget } from './direct-upload.ts';

const MiB = 1024 * 1024;

export interface UppyWiringOptions {
  baseUrl: string;
  /** A Supabase access token or an API key, for every call to the API. */
  token?: () => string | undefined | Promise<string | undefined>;
  /** Where a file goes: a dataset path, a model, an explanation. */
  target: (file: { name?: string; size: number | null; meta: Record<string, unknown> }) => UploadTarget;
  /** Part size (default 16 MiB), raised for files that would need over 10,000 parts. */
  partSize?: number;
  /** Sign each part's SHA-256 into its URL, so R2 refuses a corrupted part (default true). */
  partChecksums?: boolean;
}

interface UppyFileLike {
  name?: string;
  size: number | null;
  meta: Record<string, unknown>;
}

export function directUploadCallbacks(options: UppyWiringOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const partSizeFor = (size: number) => Math.max(options.partSize ?? 16 * MiB, Math.ceil(Math.ceil(size / 10_000) / MiB) * MiB);

  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const token = await options.token?.();
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      signal: signal ?? null,
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const problem = parsed as { code?: string; detail?: string } | undefined;
      throw Object.assign(new Error(problem?.detail ?? `HTTP ${response.status}`), {
        code: problem?.code,
        status: response.status,
      });
    }
    return parsed as T;
  }

  return {
    shouldUseMultipart: true as const,
    getChunkSize: (file: { size: number }) => partSizeFor(file.size),

    async createMultipartUpload(file: UppyFileLike) {
      const size = file.size ?? 0;
      const session = await call<UploadSession>('POST', '/uploads', {
        target: options.target(file),
        size,
        partSize: partSizeFor(size),
      });
      return { uploadId: session.id, key: session.id };
    },

    async signPart(_file: UppyFileLike, part: { uploadId: string; partNumber: number; body?: Blob; signal?: AbortSignal }) {
      let sha256: string | undefined;
      if (options.partChecksums !== false && part.body) {
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await part.body.arrayBuffer()));
        sha256 = btoa(String.fromCharCode(...digest));
      }
      const { parts } = await call<{ parts: Array<{ url: string; headers: Record<string, string> }> }>(
        'POST',
        `/uploads/${part.uploadId}/parts`,
        { partNumbers: [part.partNumber], ...(sha256 ? { sha256: { [part.partNumber]: sha256 } } : {}) },
        part.signal,
      );
      const signed = parts[0];
      if (!signed) throw new Error('the API signed no URL');
      return { method: 'PUT' as const, url: signed.url, headers: signed.headers };
    },

    async listParts(_file: UppyFileLike, upload: { uploadId?: string; signal?: AbortSignal }) {
      const session = await call<UploadSession>('GET', `/uploads/${upload.uploadId}`, undefined, upload.signal);
      return session.uploadedParts.map((part) => ({ PartNumber: part.partNumber, Size: part.size, ETag: part.etag }));
    },

    /** The API lists the parts itself, assembles and verifies them; this waits for the verdict. */
    async completeMultipartUpload(_file: UppyFileLike, upload: { uploadId: string; signal?: AbortSignal }) {
      let session = await call<UploadSession>('POST', `/uploads/${upload.uploadId}/complete`, undefined, upload.signal);
      for (let wait = 100; session.state === 'verifying'; wait = Math.min(wait * 2, 2000)) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        session = await call<UploadSession>('GET', `/uploads/${upload.uploadId}`, undefined, upload.signal);
      }
      if (session.state !== 'ready') {
        throw Object.assign(new Error(session.problem?.detail ?? `upload ${session.state}`), { code: session.problem?.code });
      }
      return { location: `${baseUrl}/uploads/${session.id}`, result: session.result };
    },

    async abortMultipartUpload(_file: UppyFileLike, upload: { uploadId?: string; signal?: AbortSignal }) {
      await call('DELETE', `/uploads/${upload.uploadId}`, undefined, upload.signal);
    },
  };
}
