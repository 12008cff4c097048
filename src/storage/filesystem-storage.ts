/**
 * Filesystem adapter: the embedded default. Objects live under `root`; a body is written to
 * `root/.incomplete/` and renamed into place only when complete, so no half-written object
 * ever sits at its final key. Download URLs are signed links served by the API itself.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors.ts';
import { type DownloadGrant, DownloadSigner } from './download-signature.ts';
import type { DownloadUrlOptions, IncompleteUpload, ListPage, ObjectStorage, PutOptions, StoredObject } from './port.ts';
import { asStorageError } from './storage-error.ts';

const INCOMPLETE_DIR = '.incomplete';

export interface LocalDownload {
  filePath: string;
  filename: string;
  contentType: string;
}

export class FilesystemStorage implements ObjectStorage {
  readonly root: string;
  readonly #incomplete: string;
  readonly #signer: DownloadSigner;

  constructor(options: { root: string; signingSecret: string | Buffer }) {
    this.root = path.resolve(options.root);
    this.#incomplete = path.join(this.root, INCOMPLETE_DIR);
    this.#signer = new DownloadSigner(options.signingSecret);
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<{ etag: string }> {
    const finalPath = this.#pathOf(key);
    const uploadId = randomUUID();
    const temporary = path.join(this.#incomplete, uploadId);
    const md5 = createHash('md5');
    try {
      await fs.mkdir(this.#incomplete, { recursive: true });
      await fs.writeFile(`${temporary}.json`, JSON.stringify({ key, initiated: new Date().toISOString() }));
      await pipeline(
        body,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            callback(null, chunk);
          },
        }),
        // flush: fsync before close, so a rename never publishes bytes still in the page cache only.
        createWriteStream(temporary, { flush: true }),
        options.signal ? { signal: options.signal } : {},
      );
      await fs.mkdir(path.dirname(finalPath), { recursive: true });
      await fs.rename(temporary, finalPath);
      return { etag: md5.digest('hex') };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw asStorageError(error, 'write the object');
    } finally {
      await Promise.all([fs.rm(temporary, { force: true }), fs.rm(`${temporary}.json`, { force: true })]);
    }
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const stat = await fs.stat(this.#pathOf(key));
      return stat.isFile() ? { key, size: stat.size, lastModified: stat.mtime } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw asStorageError(error, 'read the object');
    }
  }

  async delete(key: string): Promise<void> {
    const filePath = this.#pathOf(key);
    try {
      await fs.rm(filePath, { force: true });
      await this.#removeEmptyParents(path.dirname(filePath));
    } catch (error) {
      throw asStorageError(error, 'delete the object');
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const limit = options.limit ?? 1000;
    // Walk only below the deepest folder the prefix names; S3 semantics: plain string prefix.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const keys: StoredObject[] = [];
    try {
      for await (const object of this.#walk(folder)) {
        if (object.key.startsWith(prefix) && (!options.cursor || object.key > options.cursor)) keys.push(object);
      }
    } catch (error) {
      throw asStorageError(error, 'list objects');
    }
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = keys.slice(0, limit);
    return { objects: page, nextCursor: keys.length > limit ? page.at(-1)?.key : undefined };
  }

  async listIncompleteUploads(prefix: string): Promise<IncompleteUpload[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.#incomplete);
    } catch (error) {
      if (isMissing(error)) return [];
      throw asStorageError(error, 'list incomplete uploads');
    }
    const uploads: IncompleteUpload[] = [];
    for (const name of names.filter((entry) => entry.endsWith('.json'))) {
      try {
        const info = JSON.parse(await fs.readFile(path.join(this.#incomplete, name), 'utf8')) as {
          key: string;
          initiated: string;
        };
        if (info.key.startsWith(prefix)) {
          uploads.push({ key: info.key, uploadId: name.slice(0, -5), initiated: new Date(info.initiated) });
        }
      } catch (error) {
        if (!isMissing(error)) throw asStorageError(error, 'list incomplete uploads');
      }
    }
    return uploads;
  }

  async abortIncompleteUpload(upload: IncompleteUpload): Promise<void> {
    if (!/^[0-9a-f-]{36}$/.test(upload.uploadId)) return;
    const temporary = path.join(this.#incomplete, upload.uploadId);
    await Promise.all([fs.rm(temporary, { force: true }), fs.rm(`${temporary}.json`, { force: true })]);
  }

  async downloadUrl(key: string, options: DownloadUrlOptions): Promise<string> {
    this.#pathOf(key);
    return this.#signer.url(options.baseUrl, {
      key,
      expires: Math.floor(Date.now() / 1000) + options.expiresInSeconds,
      filename: options.filename,
      contentType: options.contentType,
    });
  }

  /** Checks a signed link; the caller streams `filePath` (with Range support) if it is valid. */
  resolveDownload(grant: DownloadGrant, signature: string): LocalDownload {
    if (!this.#signer.verify(grant, signature)) {
      throw new AppError('download_link_invalid', 'This download link is invalid or has expired.');
    }
    return { filePath: this.#pathOf(grant.key), filename: grant.filename, contentType: grant.contentType };
  }

  async check(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, fs.constants.R_OK | fs.constants.W_OK);
    } catch (error) {
      throw asStorageError(error, 'reach the data folder');
    }
  }

  async close(): Promise<void> {}

  #pathOf(key: string): string {
    const segments = key.split('/');
    const unsafe = segments.some((segment) => segment === '' || segment === '.' || segment === '..' || /[\\\0]/.test(segment));
    if (unsafe || segments[0] === INCOMPLETE_DIR) {
      throw new AppError('invalid_path', 'The object key is not a safe relative path.');
    }
    return path.join(this.root, ...segments);
  }

  async *#walk(folder: string): AsyncGenerator<StoredObject> {
    const start = folder ? path.join(this.root, ...folder.split('/')) : this.root;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(start, { withFileTypes: true, recursive: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const key = path.relative(this.root, full).split(path.sep).join('/');
      if (key.startsWith(`${INCOMPLETE_DIR}/`)) continue;
      const stat = await fs.stat(full).catch(() => undefined);
      if (stat) yield { key, size: stat.size, lastModified: stat.mtime };
    }
  }

  async #removeEmptyParents(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(`${this.root}${path.sep}`)) {
      try {
        await fs.rmdir(current);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      current = path.dirname(current);
    }
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
