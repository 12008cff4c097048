/**
 * Direct uploads from the client: the file goes to the object store in presigned parts, a few in
 * flight, each retried with backoff and re-signed when its URL has expired, then the server
 * verifies it. Memory stays at (parts in flight × part size) whatever the file's size: parts are
 * read from the Blob (in Node, a file-backed Blob from fs.openAsBlob) one slice at a time.
 * `resume` continues a session after a crash or a page reload from what the store already holds.
 */
import type { components, operations } from './schema.ts';

export type UploadSession = components['schemas']['UploadSession'];

/**
 * What a direct upload makes: a dataset file, a model version or explanation (its first file), or
 * one more file of such a version (`model-file` / `explanation-file`, naming the version that the
 * first session's artifactId gave). As the API's schema says (POST /uploads), generated.
 */
export type UploadTarget = operations['openUpload']['requestBody']['content']['application/json']['target'];

/** Targets a single request can also fill (the one-call `upload` sends small files as a form). */
export type SingleUploadTarget = Exclude<UploadTarget, { type: 'model-file' | 'explanation-file' }>;

interface OpenUploadBody {
  target: UploadTarget;
  size: number;
  sha256?: string;
  partSize?: number;
}

export interface DirectUploadOptions {
  /** Bytes the store has acknowledged, and the total. */
  onProgress?: (sent: number, total: number) => void;
  /** The session id, as soon as it exists: keep it to `resume` after a crash or a reload. */
  onSession?: (id: string) => void;
  signal?: AbortSignal;
  /** Parts in flight (default 4). */
  concurrency?: number;
  /** Attempts per part before giving up (default 5). */
  attempts?: number;
  /** Hex SHA-256 of the whole file, verified by the server before the record is ready. */
  sha256?: string;
  /** Part size to ask for (default: the server's). */
  partSize?: number;
  /** Per-part SHA-256 signed into each part URL, so the store refuses a corrupted part (default true). */
  partChecksums?: boolean;
}

export interface DirectUploadContext {
  baseUrl: string;
  fetch: typeof fetch;
  headers(): Promise<Record<string, string>>;
  error(status: number, body: unknown): Error;
}

export async function openAndUpload(
  context: DirectUploadContext,
  file: Blob,
  target: UploadTarget,
  options: DirectUploadOptions,
): Promise<UploadSession> {
  const body: OpenUploadBody = {
    target,
    size: file.size,
    ...(options.sha256 ? { sha256: options.sha256 } : {}),
    ...(options.partSize ? { partSize: options.partSize } : {}),
  };
  const session = await call<UploadSession>(context, 'POST', '/uploads', body, options.signal);
  options.onSession?.(session.id);
  return sendParts(context, session, file, new Set(), options);
}

export async function resumeUpload(
  context: DirectUploadContext,
  id: string,
  file: Blob,
  options: DirectUploadOptions,
): Promise<UploadSession> {
  const session = await call<UploadSession>(context, 'GET', `/uploads/${id}`, undefined, options.signal);
  if (session.state === 'ready' || session.state === 'verifying') return waitForVerification(context, session, options);
  if (session.state !== 'uploading')
    throw context.error(409, session.problem ?? { code: 'upload_not_open', detail: `Upload ${id} is ${session.state}.` });
  if (file.size !== session.size) throw new Error(`This file has ${file.size} bytes; the upload expects ${session.size}.`);
  const expected = (n: number) => (n < session.partCount ? session.partSize : session.size - (n - 1) * session.partSize);
  const done = new Set(session.uploadedParts.filter((part) => part.size === expected(part.partNumber)).map((p) => p.partNumber));
  return sendParts(context, session, file, done, options);
}

type SignedPart = NonNullable<UploadSession['parts']>[number];

/** URLs signed ahead, in batches, for parts sent without a checksum (a checksum needs the bytes first). */
const SIGN_AHEAD = 16;
/** A URL closer than this to its expiry is not used: it could expire while the part is sent. */
const URL_MARGIN_MS = 60_000;

async function sendParts(
  context: DirectUploadContext,
  session: UploadSession,
  file: Blob,
  done: Set<number>,
  options: DirectUploadOptions,
): Promise<UploadSession> {
  const todo: number[] = [];
  for (let n = 1; n <= session.partCount; n += 1) if (!done.has(n)) todo.push(n);
  const partRange = (n: number) => [(n - 1) * session.partSize, Math.min(n * session.partSize, session.size)] as const;
  let sent = [...done].reduce((sum, n) => sum + (partRange(n)[1] - partRange(n)[0]), 0);
  options.onProgress?.(sent, session.size);
  const checksums = options.partChecksums !== false;
  const ahead = new Map<number, SignedPart>(checksums ? [] : (session.parts ?? []).map((part) => [part.partNumber, part]));
  const signer = async (partNumber: number, sha256: string | undefined, fresh: boolean): Promise<SignedPart> => {
    const cached = ahead.get(partNumber);
    ahead.delete(partNumber);
    if (!fresh && cached && Date.parse(cached.expiresAt) - Date.now() > URL_MARGIN_MS) return cached;
    const batch = sha256 ? [partNumber] : [partNumber, ...todo.filter((n) => !ahead.has(n)).slice(0, SIGN_AHEAD - 1)];
    const { parts } = await call<{ parts: SignedPart[] }>(
      context,
      'POST',
      `/uploads/${session.id}/parts`,
      { partNumbers: batch, ...(sha256 ? { sha256: { [partNumber]: sha256 } } : {}) },
      options.signal,
    );
    for (const part of parts) if (part.partNumber !== partNumber) ahead.set(part.partNumber, part);
    const signed = parts.find((part) => part.partNumber === partNumber);
    if (!signed) throw new Error('the server signed no URL');
    return signed;
  };
  const workers = Array.from({ length: Math.min(options.concurrency ?? 4, todo.length) }, async () => {
    for (let n = todo.shift(); n !== undefined; n = todo.shift()) {
      const [start, end] = partRange(n);
      await sendPart(n, file.slice(start, end), checksums, signer, context, options);
      sent += end - start;
      options.onProgress?.(sent, session.size);
    }
  });
  await Promise.all(workers);
  const completed = await call<UploadSession>(context, 'POST', `/uploads/${session.id}/complete`, undefined, options.signal);
  return waitForVerification(context, completed, options);
}

async function sendPart(
  partNumber: number,
  part: Blob,
  checksums: boolean,
  sign: (partNumber: number, sha256: string | undefined, fresh: boolean) => Promise<SignedPart>,
  context: DirectUploadContext,
  options: DirectUploadOptions,
): Promise<void> {
  // With a checksum the part is read once into memory (hashed, then sent); without, the Blob
  // itself is the body and streams from its source (a file on disk in Node).
  let body: Blob | Uint8Array<ArrayBuffer> = part;
  let sha256: string | undefined;
  if (checksums) {
    const bytes = new Uint8Array(await part.arrayBuffer());
    sha256 = base64(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
    body = bytes;
  }
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    options.signal?.throwIfAborted();
    try {
      // A retry signs afresh: a URL that expired while we waited is never reused.
      const signed = await sign(partNumber, sha256, attempt > 1);
      const response = await context.fetch(signed.url, {
        method: 'PUT',
        body,
        headers: signed.headers,
        signal: options.signal ?? null,
      });
      if (response.ok) {
        await response.arrayBuffer();
        return;
      }
      const text = await response.text();
      // 4xx other than an expired or refused signature will not improve with a retry.
      if (response.status < 500 && response.status !== 403 && response.status !== 408 && response.status !== 429) {
        throw Object.assign(new Error(`part ${partNumber}: HTTP ${response.status} ${text.slice(0, 200)}`), { final: true });
      }
      throw new Error(`part ${partNumber}: HTTP ${response.status}`);
    } catch (error) {
      if (options.signal?.aborted || (error as { final?: boolean }).final || attempt >= attempts) throw error;
      await sleep(Math.min(8000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2), options.signal);
    }
  }
}

async function waitForVerification(
  context: DirectUploadContext,
  session: UploadSession,
  options: DirectUploadOptions,
): Promise<UploadSession> {
  let current = session;
  for (let wait = 100; current.state === 'verifying'; wait = Math.min(wait * 2, 1000)) {
    await sleep(wait, options.signal);
    current = await call<UploadSession>(context, 'GET', `/uploads/${session.id}`, undefined, options.signal);
  }
  if (current.state !== 'ready') {
    throw context.error(422, current.problem ?? { code: 'upload_not_open', detail: `Upload ${session.id} is ${current.state}.` });
  }
  return current;
}

async function call<T>(
  context: DirectUploadContext,
  method: string,
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<T> {
  const headers = await context.headers();
  const response = await context.fetch(`${context.baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    signal: signal ?? null,
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (response.status >= 400) throw context.error(response.status, parsed);
  return parsed as T;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
