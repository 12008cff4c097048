/**
 * Builds multipart/form-data bodies as streams, in exactly the part order given (the API
 * cares about order), and sends them over a real socket with fetch.
 */
import { randomBytes } from 'node:crypto';
import type { TestFile } from './data.ts';

export type Part = { name: string; value: string } | { name: string; filename: string; file: TestFile; contentType?: string };

export interface MultipartBody {
  contentType: string;
  boundary: string;
  body: AsyncGenerator<Buffer>;
}

const quote = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r|\n/g, ' ');

export function multipart(parts: Part[], options: { omitFinalBoundary?: boolean } = {}): MultipartBody {
  const boundary = `----xai${randomBytes(12).toString('hex')}`;
  async function* body(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      if ('value' in part) {
        yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"\r\n\r\n${part.value}\r\n`);
      } else {
        yield Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"; filename="${quote(part.filename)}"\r\n` +
            `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        );
        yield* part.file.chunks();
        yield Buffer.from('\r\n');
      }
    }
    if (!options.omitFinalBoundary) yield Buffer.from(`--${boundary}--\r\n`);
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, boundary, body: body() };
}

export interface UploadOptions {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Sends parts to `url` as a streamed multipart request. */
export function upload(url: string, parts: Part[], options: UploadOptions = {}): Promise<Response> {
  return sendForm(url, multipart(parts), options);
}

/** Sends a multipart body made before (its boundary or size known) to `url`, streamed. */
export function sendForm(url: string, form: MultipartBody, options: UploadOptions = {}): Promise<Response> {
  return fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': form.contentType, ...options.headers },
    body: form.body as unknown as RequestInit['body'],
    duplex: 'half',
    signal: options.signal,
  } as RequestInit);
}

/** A form field, for `multipart` / `upload`. */
export const field = (name: string, value: string): Part => ({ name, value });
/** A file part named "file", its filename the path it takes. */
export const file = (path: string, content: TestFile): Part => ({ name: 'file', filename: path, file: content });
