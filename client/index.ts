/**
 * The typed client of the XAI artifact API, for frontends and Node scripts. Resource-shaped
 * helpers (`datasets`, `models`, `explanations`: list, get, create, update, delete, download)
 * that all answer with the record or throw an ApiError carrying the problem's stable `code`;
 * uploads that build the multipart form in the order the API wants and report progress
 * (XMLHttpRequest in browsers, a counted stream in Node), take a file path in Node (read from
 * disk as it is sent), and go straight to the object store in parts for large files. Every
 * JSON route is also there, typed, as `api` (openapi-fetch; types generated from openapi.yaml).
 */
import createClient, { type Client } from 'openapi-fetch';
import {
  type DirectUploadContext,
  type DirectUploadOptions,
  openAndUpload,
  resumeUpload,
  type SingleUploadTarget,
  type UploadSession,
  type UploadTarget,
} from './direct-upload.ts';
import type { components, paths } from './schema.ts';

export type { DirectUploadOptions, SingleUploadTarget, UploadSession, UploadTarget };

export type Dataset = components['schemas']['Dataset'];
export type DatasetFile = components['schemas']['DatasetFile'];
/** A dataset as get, create, addFiles and update answer it: with its files. */
export type DatasetWithFiles = Dataset & { files: DatasetFile[] };
export type Page<T> = { items: T[]; nextCursor: string | null };
export type Model = components['schemas']['Model'];
export type Explanation = components['schemas']['Explanation'];
export type DownloadLink = components['schemas']['DownloadLink'];
export type Problem = components['schemas']['Problem'];
export type DatasetProfile = components['schemas']['DatasetProfile'];
export type DatasetPreview = components['schemas']['DatasetPreview'];
export type DatasetFileProfile = components['schemas']['DatasetFileProfile'];
export type DatasetVersion = components['schemas']['DatasetVersion'];
export type Alias = components['schemas']['Alias'];
export type AliasEvent = components['schemas']['AliasEvent'];
export type DatasetVersionLineage = components['schemas']['DatasetVersionLineage'];
export type ModelLineage = components['schemas']['ModelLineage'];
export type ExplanationImportances = components['schemas']['ExplanationImportances'];
export type ImportanceComparison = components['schemas']['ImportanceComparison'];
export type ExplanationRowAnswer = components['schemas']['ExplanationRowAnswer'];
export type ExplanationRowsPage = components['schemas']['ExplanationRowsPage'];
/** A version as URLs and upload fields name it: its number, 'latest' or an alias. */
export type VersionRef = number | string;

export interface ClientOptions {
  baseUrl: string;
  /** A Supabase access token or an API key; called before every request (tokens refresh). */
  token?: () => string | undefined | Promise<string | undefined>;
  fetch?: typeof fetch;
}

/**
 * A file's bytes: a Blob or File (browsers, Node), bytes in memory, or, in Node only, a file
 * path as a string (read from disk as the request goes out). To send text, wrap it:
 * `new Blob([text])` (a string is never taken as content).
 */
export type UploadData = Blob | Uint8Array | ArrayBuffer | string;

export interface UploadFile {
  /** For datasets: the path inside the dataset, e.g. processed/train.parquet. */
  filename: string;
  /** The bytes: see UploadData. */
  data: UploadData;
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

/** Form fields from an input object, in this order: objects as JSON, lists comma-separated. */
function formFields<T extends object>(input: T, names: Array<keyof T & string>): Fields {
  return names.map((name) => {
    const value: unknown = input[name];
    if (value === undefined || value === null) return [name, undefined];
    if (Array.isArray(value)) return [name, value.join(',')];
    return [name, typeof value === 'object' ? JSON.stringify(value) : String(value)];
  });
}

type Query = Record<string, string | number | boolean | undefined>;

export interface ModelFields {
  dataset: string;
  /** The dataset version trained on (default: the latest at upload time). */
  datasetVersion?: VersionRef;
  name: string;
  framework?: string;
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
  description?: string;
  tags?: string[];
}

/** The file of a version, or its files (an MLflow folder: each filename its path, e.g. model/MLmodel). */
export type VersionFiles = { file: UploadFile; files?: never } | { files: UploadFile[]; file?: never };

export interface ExplanationFields {
  model: string;
  /** The dataset version explained (default: the one the model pins). */
  datasetVersion?: VersionRef;
  /** The file of that version whose rows the SHAP matrix explains, row for row (default: the one with as many rows). */
  datasetFile?: string;
  method: string;
  /** A .npy matrix's feature names, in column order. */
  features?: string[];
  params?: Record<string, unknown>;
  summary?: Record<string, unknown>;
  description?: string;
  tags?: string[];
}

export type ModelInput = ModelFields & VersionFiles;
export type ExplanationInput = ExplanationFields & VersionFiles;

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

  async function authHeaders(): Promise<Record<string, string>> {
    const token = await options.token?.();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  /** One error style: the record, or an ApiError with the problem's code. */
  async function request<T>(method: string, path: string, init: { query?: Query; body?: unknown } = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(init.query ?? {})) if (value !== undefined) search.set(name, String(value));
    const url = `${baseUrl}${path}${search.size > 0 ? `?${search}` : ''}`;
    const headers: Record<string, string> = await authHeaders();
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetchImpl(url, {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.status >= 400) throw new ApiError(response.status, parsed as Problem | undefined);
    return parsed as T;
  }

  async function send<T>(path: string, fields: Fields, files: UploadFile[], upload: UploadOptions = {}): Promise<T> {
    const form = new FormData();
    for (const [name, value] of fields) if (value !== undefined) form.append(name, value);
    for (const file of files) {
      if (file.sha256) form.append('sha256', file.sha256);
      form.append('file', await blobOf(file.data), file.filename);
    }
    const { status, body } = await postForm(`${baseUrl}${path}`, form, await authHeaders(), upload, fetchImpl);
    const parsed = body ? (JSON.parse(body) as unknown) : undefined;
    if (status >= 400) throw new ApiError(status, parsed as Problem | undefined);
    return parsed as T;
  }

  /** The bytes behind a download link, in one call. */
  async function fetchBytes(link: DownloadLink): Promise<Response> {
    const response = await fetchImpl(link.url);
    if (!response.ok) throw new ApiError(response.status, undefined);
    return response;
  }

  const direct: DirectUploadContext = {
    baseUrl,
    fetch: fetchImpl,
    headers: authHeaders,
    error: (status, body) => new ApiError(status, body as Problem | undefined),
  };

  const segment = encodeURIComponent;
  const datasetPath = (dataset: string) => `/datasets/${segment(dataset)}`;
  const filePath = (dataset: string, fileId: string) => `${datasetPath(dataset)}/files/${segment(fileId)}`;

  /** set, get, delete and history of the aliases under `base` (a dataset's, or a model name's). */
  const aliasesAt = (base: string) => ({
    set: (alias: string, version: number) => request<Alias>('PUT', `${base}/aliases/${segment(alias)}`, { body: { version } }),
    get: (alias: string) => request<Alias>('GET', `${base}/aliases/${segment(alias)}`),
    delete: (alias: string) => request<void>('DELETE', `${base}/aliases/${segment(alias)}`),
    /** Newest first; with `at` (ISO instant), only moves at or before it: the first item is what it named then. */
    history: (alias: string, query: { limit?: number; cursor?: string; at?: string } = {}) =>
      request<Page<AliasEvent>>('GET', `${base}/aliases/${segment(alias)}/history`, { query }),
  });

  const datasets = {
    list: (query: { limit?: number; cursor?: string; tag?: string; q?: string } = {}) =>
      request<Page<Dataset>>('GET', '/datasets', { query }),
    get: (dataset: string) => request<DatasetWithFiles>('GET', datasetPath(dataset)),
    create: (
      input: { name: string; description?: string; tags?: string[]; status?: string; files?: UploadFile[] },
      upload?: UploadOptions,
    ) =>
      send<DatasetWithFiles>(
        '/datasets',
        formFields(input, ['name', 'description', 'tags', 'status']),
        input.files ?? [],
        upload,
      ),
    addFiles: (dataset: string, files: UploadFile[], upload?: UploadOptions & { overwrite?: boolean }) =>
      send<DatasetWithFiles>(`${datasetPath(dataset)}/files${upload?.overwrite ? '?overwrite=true' : ''}`, [], files, upload),
    update: (dataset: string, patch: { description?: string | null; tags?: string[]; status?: string }) =>
      request<DatasetWithFiles>('PATCH', datasetPath(dataset), { body: patch }),
    delete: (dataset: string, options: { cascade?: boolean } = {}) =>
      request<void>('DELETE', datasetPath(dataset), { query: { cascade: options.cascade } }),
    deleteFile: (dataset: string, fileId: string) => request<void>('DELETE', filePath(dataset, fileId)),
    profile: (dataset: string, fileId: string) => request<DatasetFileProfile>('GET', `${filePath(dataset, fileId)}/profile`),
    preview: (dataset: string, fileId: string, rows?: number) =>
      request<DatasetPreview>('GET', `${filePath(dataset, fileId)}/preview`, { query: { rows } }),
    downloadLink: (dataset: string, fileId: string, options: { expiresIn?: number } = {}) =>
      request<DownloadLink>('GET', `${filePath(dataset, fileId)}/download`, { query: { expiresIn: options.expiresIn } }),
    /** The file's bytes (the link is asked for and followed). */
    download: async (dataset: string, fileId: string) => fetchBytes(await datasets.downloadLink(dataset, fileId)),
    /** Its versions, newest first (each change to its files made one). */
    versions: (dataset: string, query: { limit?: number; cursor?: string } = {}) =>
      request<Page<DatasetVersion>>('GET', `${datasetPath(dataset)}/versions`, { query }),
    /** One version with its files; `links: true` adds a signed URL per file (a whole snapshot in one call). */
    version: (dataset: string, ref: VersionRef = 'latest', options: { links?: boolean; expiresIn?: number } = {}) =>
      request<DatasetVersion>('GET', `${datasetPath(dataset)}/versions/${segment(String(ref))}`, {
        query: { links: options.links, expiresIn: options.expiresIn },
      }),
    /** Prunes an old version nothing pins or names, with the bytes only it held (409 version_in_use otherwise). */
    deleteVersion: (dataset: string, version: number) =>
      request<void>('DELETE', `${datasetPath(dataset)}/versions/${segment(String(version))}`),
    /** The models and explanations made from one version. */
    lineage: (dataset: string, ref: VersionRef = 'latest') =>
      request<DatasetVersionLineage>('GET', `${datasetPath(dataset)}/versions/${segment(String(ref))}/lineage`),
    aliases: (dataset: string) => aliasesAt(datasetPath(dataset)),
  };

  /** A version's downloads: its one file (409 multiple_files for several), or any of its files by id. */
  const versionDownloads = (prefix: string) => {
    const downloadLink = (id: string, options: { expiresIn?: number } = {}) =>
      request<DownloadLink>('GET', `${prefix}/${segment(id)}/download`, { query: { expiresIn: options.expiresIn } });
    const fileDownloadLink = (id: string, fileId: string, options: { expiresIn?: number } = {}) =>
      request<DownloadLink>('GET', `${prefix}/${segment(id)}/files/${segment(fileId)}/download`, {
        query: { expiresIn: options.expiresIn },
      });
    return {
      downloadLink,
      download: async (id: string) => fetchBytes(await downloadLink(id)),
      fileDownloadLink,
      downloadFile: async (id: string, fileId: string) => fetchBytes(await fileDownloadLink(id, fileId)),
    };
  };

  const models = {
    list: (
      query: {
        limit?: number;
        cursor?: string;
        dataset?: string;
        datasetVersion?: VersionRef;
        name?: string;
        framework?: string;
        tag?: string;
        sort?: string;
        order?: 'asc' | 'desc';
      } = {},
    ) => request<Page<Model>>('GET', '/models', { query }),
    get: (id: string) => request<Model>('GET', `/models/${segment(id)}`),
    latest: (dataset: string, name: string) => models.version(dataset, name, 'latest'),
    /** A version of (dataset, name): its number, 'latest' or an alias. */
    version: (dataset: string, name: string, ref: VersionRef) =>
      request<Model>('GET', `${datasetPath(dataset)}/models/${segment(name)}/${segment(String(ref))}`),
    /** The exact dataset version it was trained on (with its files) and its explanations. */
    lineage: (id: string) => request<ModelLineage>('GET', `/models/${segment(id)}/lineage`),
    /** Feature importances across the model's versions (its newest explanation by `method` in each), with rank changes. */
    importances: (dataset: string, name: string, query: { method?: string; top?: number } = {}) =>
      request<ImportanceComparison>('GET', `${datasetPath(dataset)}/models/${segment(name)}/importances`, { query }),
    aliases: (dataset: string, name: string) => aliasesAt(`${datasetPath(dataset)}/models/${segment(name)}`),
    create: (input: ModelInput, upload?: UploadOptions) =>
      send<Model>(
        '/models',
        formFields(input, ['dataset', 'datasetVersion', 'name', 'framework', 'metrics', 'params', 'description', 'tags']),
        input.files ?? [input.file],
        upload,
      ),
    update: (
      id: string,
      patch: { description?: string | null; tags?: string[]; metrics?: Record<string, number>; params?: Record<string, unknown> },
    ) => request<Model>('PATCH', `/models/${segment(id)}`, { body: patch }),
    delete: (id: string, options: { cascade?: boolean } = {}) =>
      request<void>('DELETE', `/models/${segment(id)}`, { query: { cascade: options.cascade } }),
    ...versionDownloads('/models'),
  };

  const explanations = {
    list: (
      query: {
        limit?: number;
        cursor?: string;
        model?: string;
        dataset?: string;
        datasetVersion?: VersionRef;
        method?: string;
        tag?: string;
        /** Only those in which this feature ranks at most `maxRank`. */
        feature?: string;
        maxRank?: number;
      } = {},
    ) => request<Page<Explanation>>('GET', '/explanations', { query }),
    get: (id: string) => request<Explanation>('GET', `/explanations/${segment(id)}`),
    /** Its feature importances, most important first (from its SHAP matrix, or its summary). */
    importances: (id: string, query: { top?: number } = {}) =>
      request<ExplanationImportances>('GET', `/explanations/${segment(id)}/importances`, { query }),
    /** One row's SHAP values (a waterfall), with `withData` the same row of the dataset file beside them. */
    row: (id: string, index: number, query: { withData?: boolean } = {}) =>
      request<ExplanationRowAnswer>('GET', `/explanations/${segment(id)}/rows/${index}`, { query }),
    /** A page of rows (at most 500). */
    rows: (id: string, query: { offset?: number; limit?: number; withData?: boolean } = {}) =>
      request<ExplanationRowsPage>('GET', `/explanations/${segment(id)}/rows`, { query }),
    create: (input: ExplanationInput, upload?: UploadOptions) =>
      send<Explanation>(
        '/explanations',
        formFields(
          // Feature names may hold commas: sent as a JSON array.
          { ...input, features: input.features ? JSON.stringify(input.features) : undefined },
          ['model', 'datasetVersion', 'datasetFile', 'method', 'features', 'params', 'summary', 'description', 'tags'],
        ),
        input.files ?? [input.file],
        upload,
      ),
    update: (
      id: string,
      patch: {
        description?: string | null;
        tags?: string[];
        summary?: Record<string, unknown>;
        params?: Record<string, unknown>;
      },
    ) => request<Explanation>('PATCH', `/explanations/${segment(id)}`, { body: patch }),
    delete: (id: string) => request<void>('DELETE', `/explanations/${segment(id)}`),
    ...versionDownloads('/explanations'),
  };

  return {
    datasets,
    models,
    explanations,

    /**
     * Uploads one file to `target`: straight to the object store in parallel parts when it is at
     * least `directThreshold` bytes (default 64 MiB), else as one multipart/form-data request.
     * Answers what the API answers for that upload, typed by the target: the dataset, the model,
     * the explanation.
     */
    upload: (async (
      file: UploadData,
      target: SingleUploadTarget,
      upload: UploadOneOptions = {},
    ): Promise<DatasetWithFiles | Model | Explanation> => {
      const blob = await blobOf(file);
      if (blob.size >= (upload.directThreshold ?? 64 * 1024 * 1024)) {
        const session = await openAndUpload(direct, blob, target, upload);
        return session.result as DatasetWithFiles | Model | Explanation;
      }
      const one = { data: blob, ...(upload.sha256 ? { sha256: upload.sha256 } : {}) };
      const progress = {
        ...(upload.onProgress ? { onProgress: upload.onProgress } : {}),
        ...(upload.signal ? { signal: upload.signal } : {}),
      };
      switch (target.type) {
        case 'dataset-file':
          return datasets.addFiles(target.dataset, [{ ...one, filename: target.path }], {
            ...progress,
            overwrite: target.overwrite ?? false,
          });
        case 'model': {
          const { type: _type, filename, files: _files, ...fields } = target;
          return models.create({ ...fields, file: { ...one, filename } }, progress);
        }
        case 'explanation': {
          const { type: _type, filename, files: _files, ...fields } = target;
          return explanations.create({ ...fields, file: { ...one, filename } }, progress);
        }
      }
    }) as UploadOne,

    /** Opens a direct upload and sends it; answers the ready session (its `result` is the record). */
    uploadDirect(file: UploadData, target: UploadTarget, upload: DirectUploadOptions = {}): Promise<UploadSession> {
      return blobOf(file).then((blob) => openAndUpload(direct, blob, target, upload));
    },

    /** Continues a direct upload (after a crash or a page reload) with the same file. */
    resume(id: string, file: UploadData, upload: DirectUploadOptions = {}): Promise<UploadSession> {
      return blobOf(file).then((blob) => resumeUpload(direct, id, blob, upload));
    },

    /** Every JSON route, typed: `api.GET('/datasets/{dataset}', { params: { path: { dataset } } })`. */
    api,
  };
}

type UploadOneOptions = DirectUploadOptions & { directThreshold?: number };

/** `upload`, typed by its target: a dataset file answers the dataset, a model the model, an explanation the explanation. */
export interface UploadOne {
  (
    file: UploadData,
    target: Extract<UploadTarget, { type: 'dataset-file' }>,
    upload?: UploadOneOptions,
  ): Promise<DatasetWithFiles>;
  (file: UploadData, target: Extract<UploadTarget, { type: 'model' }>, upload?: UploadOneOptions): Promise<Model>;
  (file: UploadData, target: Extract<UploadTarget, { type: 'explanation' }>, upload?: UploadOneOptions): Promise<Explanation>;
  (file: UploadData, target: SingleUploadTarget, upload?: UploadOneOptions): Promise<DatasetWithFiles | Model | Explanation>;
}

/**
 * The bytes as a Blob. A file path (Node) becomes a file-backed Blob, read from disk as it is
 * sent; a string that names no file is refused with a clear error, never sent as content.
 */
async function blobOf(file: UploadData): Promise<Blob> {
  if (file instanceof Blob) return file;
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) return new Blob([file as Uint8Array<ArrayBuffer>]);
  if (typeof file !== 'string')
    throw new TypeError('data must be a Blob, a File, a Uint8Array, an ArrayBuffer or (in Node) a file path.');
  const shown = JSON.stringify(file.length > 80 ? `${file.slice(0, 77)}...` : file);
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new TypeError(
      `data ${shown} is a string: in a browser, pass a File or Blob (a string is a file path, which only Node reads).`,
    );
  }
  const { openAsBlob, statSync } = await import('node:fs');
  const stat = file.includes('\0') ? undefined : statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) {
    throw new TypeError(
      `data ${shown} names no file: in Node a string is a file path. To send text or bytes, pass new Blob([content]) or a Uint8Array.`,
    );
  }
  return openAsBlob(file);
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
  // The Response constructor encodes the form exactly as fetch would. The length comes from a
  // first encoding, read and dropped (blobs stream from their source; a tee of one encoding would
  // hold the whole body in memory); a second one, of the same length, is sent and counted.
  let total = 0;
  for await (const chunk of new Response(form).body as unknown as AsyncIterable<Uint8Array>) total += chunk.byteLength;
  const encoded = new Response(form);
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
