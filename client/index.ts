/**
 * A typed client for the frontend (and scripts): every JSON route through openapi-fetch with
 * types generated from openapi.yaml (`npm run client:types`), plus upload helpers that build
 * the multipart form in the order the API requires (fields first, then files) and report
 * upload progress where the platform can (XMLHttpRequest in browsers, a counted stream in Node).
 */
import createClient, { type Client } from 'openapi-fetch';
import {
  type DirectUploadContext,
  type DirectUploadOptions,
  openAndUpload,
  resumeUpload,
  type UploadSession,
  type UploadTarget,
} from './direct-upload.ts';
import type { components, paths } from './schema.ts';

export type { DirectUploadOptions, UploadSession, UploadTarget };

export type Dataset = components['schemas']['Dataset'];
export type Model = components['schemas']['Model'];
export type Explanation = components['schemas']['Explanation'];
export type DownloadLink = components['schemas']['DownloadLink'];
export type Problem = components['schemas']['Problem'];
export type DatasetProfile = components['schemas']['DatasetProfile'];
export type DatasetPreview = components['schemas']['DatasetPreview'];

export interface ClientOptions {
  baseUrl: string;
  /** A Supabase access token or an API key; called before every request (tokens refresh). */
  token?: () => string | undefined | Promise<string | undefined>;
  fetch?: typeof fetch;
}

export interface UploadFile {
  /** For datasets: the path inside the dataset, e.g. processed/train.parquet. */
  filename: string;
  data: Blob;
  /** Hex SHA-256 of the data, checked by the server (422 checksum_mismatch on a difference). */
  sha256?: string;
}

export interface UploadOptions {
  /** Called with bytes sent and the total, as the body goes out. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

/** A problem-details answer (RFC 9457), with its stable `code`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem?.code ?? 'unknown';
    this.problem = problem;
  }
}

type Fields = Array<[string, string | undefined]>;

export function createArtifactClient(options: ClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const api: Client<paths> = createClient<paths>({ baseUrl, fetch: fetchImpl });
  api.use({
    async onRequest({ request }) {
      const token = await options.token?.();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });

  async function send<T>(path: string, fields: Fields, files: UploadFile[], upload: UploadOptions = {}): Promise<T> {
    const form = new FormData();
    for (const [name, value] of fields) if (value !== undefined) form.append(name, value);
    for (const file of files) {
      if (file.sha256) form.append('sha256', file.sha256);
      form.append('file', file.data, file.filename);
    }
    const headers: Record<string, string> = {};
    const token = await options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const { status, body } = await postForm(`${baseUrl}${path}`, form, headers, upload, fetchImpl);
    const parsed = body ? (JSON.parse(body) as unknown) : undefined;
    if (status >= 400) throw new ApiError(status, parsed as Problem | undefined);
    return parsed as T;
  }

  const direct: DirectUploadContext = {
    baseUrl,
    fetch: fetchImpl,
    async headers(): Promise<Record<string, string>> {
      const token = await options.token?.();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    error: (status, body) => new ApiError(status, body as Problem | undefined),
  };

  /** A file path (Node) becomes a file-backed Blob: parts are read from disk as they are sent. */
  async function blobOf(file: Blob | string): Promise<Blob> {
    if (typeof file !== 'string') return file;
    const { openAsBlob } = await import('node:fs');
    return openAsBlob(file);
  }

  return {
    /**
     * Uploads one file to `target`: straight to the object store in parallel parts when it is at
     * least `directThreshold` bytes (default 64 MiB), else as one multipart/form-data request.
     * Answers what the API answers for that upload (the dataset, the model, the explanation).
     */
    async upload(
      file: Blob | string,
      target: UploadTarget,
      upload: DirectUploadOptions & { directThreshold?: number } = {},
    ): Promise<Dataset | Model | Explanation> {
      const blob = await blobOf(file);
      if (blob.size >= (upload.directThreshold ?? 64 * 1024 * 1024)) {
        const session = await openAndUpload(direct, blob, target, upload);
        return session.result as Dataset | Model | Explanation;
      }
      const one = { data: blob, ...(upload.sha256 ? { sha256: upload.sha256 } : {}) };
      const progress = {
        ...(upload.onProgress ? { onProgress: upload.onProgress } : {}),
        ...(upload.signal ? { signal: upload.signal } : {}),
      };
      switch (target.type) {
        case 'dataset-file':
          return this.addDatasetFiles(target.dataset, [{ ...one, filename: target.path }], {
            ...progress,
            overwrite: target.overwrite ?? false,
          });
        case 'model': {
          const { type: _type, filename, ...fields } = target;
          return this.uploadModel({ ...fields, file: { ...one, filename } }, progress);
        }
        case 'explanation': {
          const { type: _type, filename, ...fields } = target;
          return this.uploadExplanation({ ...fields, file: { ...one, filename } }, progress);
        }
      }
    },

    /** Opens a direct upload and sends it; answers the ready session (its `result` is the record). */
    uploadDirect(file: Blob | string, target: UploadTarget, upload: DirectUploadOptions = {}): Promise<UploadSession> {
      return blobOf(file).then((blob) => openAndUpload(direct, blob, target, upload));
    },

    /** Continues a direct upload (after a crash or a page reload) with the same file. */
    resume(id: string, file: Blob | string, upload: DirectUploadOptions = {}): Promise<UploadSession> {
      return blobOf(file).then((blob) => resumeUpload(direct, id, blob, upload));
    },

    /** Every JSON route, typed: `api.GET('/datasets/{dataset}', { params: { path: { dataset } } })`. */
    api,

    createDataset(
      input: { name: string; description?: string; tags?: string[]; status?: string; files?: UploadFile[] },
      upload?: UploadOptions,
    ): Promise<Dataset> {
      const fields: Fields = [
        ['name', input.name],
        ['description', input.description],
        ['tags', input.tags?.join(',')],
        ['status', input.status],
      ];
      return send('/datasets', fields, input.files ?? [], upload);
    },

    addDatasetFiles(dataset: string, files: UploadFile[], upload?: UploadOptions & { overwrite?: boolean }): Promise<Dataset> {
      const query = upload?.overwrite ? '?overwrite=true' : '';
      return send(`/datasets/${encodeURIComponent(dataset)}/files${query}`, [], files, upload);
    },

    uploadModel(
      input: {
        dataset: string;
        name: string;
        framework?: string;
        metrics?: Record<string, number>;
        params?: Record<string, unknown>;
        description?: string;
        tags?: string[];
        file: UploadFile;
      },
      upload?: UploadOptions,
    ): Promise<Model> {
      const fields: Fields = [
        ['dataset', input.dataset],
        ['name', input.name],
        ['framework', input.framework],
        ['metrics', input.metrics && JSON.stringify(input.metrics)],
        ['params', input.params && JSON.stringify(input.params)],
        ['description', input.description],
        ['tags', input.tags?.join(',')],
      ];
      return send('/models', fields, [input.file], upload);
    },

    uploadExplanation(
      input: {
        model: string;
        method: string;
        params?: Record<string, unknown>;
        summary?: Record<string, unknown>;
        description?: string;
        tags?: string[];
        file: UploadFile;
      },
      upload?: UploadOptions,
    ): Promise<Explanation> {
      const fields: Fields = [
        ['model', input.model],
        ['method', input.method],
        ['params', input.params && JSON.stringify(input.params)],
        ['summary', input.summary && JSON.stringify(input.summary)],
        ['description', input.description],
        ['tags', input.tags?.join(',')],
      ];
      return send('/explanations', fields, [input.file], upload);
    },
  };
}

export type ArtifactClient = ReturnType<typeof createArtifactClient>;

/** Posts a form; with onProgress, through XMLHttpRequest (browsers) or a counted stream (Node). */
async function postForm(
  url: string,
  form: FormData,
  headers: Record<string, string>,
  upload: UploadOptions,
  fetchImpl: typeof fetch,
): Promise<{ status: number; body: string }> {
  const Xhr = (globalThis as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  if (upload.onProgress && Xhr) return postWithXhr(Xhr, url, form, headers, upload);
  if (!upload.onProgress) {
    const response = await fetchImpl(url, { method: 'POST', body: form, headers, signal: upload.signal ?? null });
    return { status: response.status, body: await response.text() };
  }
  // Encode the form once (the Response constructor does exactly what fetch would) and count it going out.
  const encoded = new Response(form);
  let total = 0;
  // One pass to learn the exact length without keeping the bytes (blobs stream from their source).
  for await (const chunk of encoded.clone().body as unknown as AsyncIterable<Uint8Array>) total += chunk.byteLength;
  let sent = 0;
  const onProgress = upload.onProgress;
  const counted = encoded.body?.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        onProgress(sent, total);
        controller.enqueue(chunk);
      },
    }),
  );
  const response = await fetchImpl(url, {
    method: 'POST',
    body: counted ?? null,
    headers: { ...headers, 'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data' },
    signal: upload.signal ?? null,
    duplex: 'half',
  } as RequestInit);
  return { status: response.status, body: await response.text() };
}

/** The part of the browser's XMLHttpRequest used here (this module also compiles without DOM types). */
interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  upload: { onprogress: ((event: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  status: number;
  responseText: string;
  send(body: FormData): void;
  abort(): void;
}

function postWithXhr(
  Xhr: new () => XhrLike,
  url: string,
  form: FormData,
  headers: Record<string, string>,
  upload: UploadOptions,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => upload.onProgress?.(event.loaded, event.total);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.responseText });
    xhr.onerror = () => reject(new Error('network error'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    upload.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
