/**
 * Filesystem adapter: the embedded default. Objects live under `root`; a body is written to
 * `root/.incomplete/` and renamed into place only when complete, so no half-written object
 * ever sits at its final key. Download URLs are signed links served by the API itself.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, isAppError } from '../errors.ts';
import { UploadMeter } from '../uploads/meter.ts';
import { type DownloadGrant, DownloadSigner, type PartGrant } from './download-signature.ts';
import { fileWriter } from './file-writer.ts';
import type {
  DownloadUrlOptions,
  IncompleteUpload,
  ListPage,
  ObjectRead,
  ObjectStorage,
  PutOptions,
  SelfServedObjects,
  SignedPart,
  SignPartOptions,
  StoredObject,
  StoredPart,
} from './port.ts';
import { asStorageError } from './storage-error.ts';

const INCOMPLETE_DIR = '.incomplete';
/** A received part: `{partNumber}.{md5}` in `.incomplete/{uploadId}.parts/`. */
const PART_FILE = /^(\d{1,5})\.([0-9a-f]{32})$/;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface LocalDownload {
  filePath: string;
  filename: string;
  contentType: string;
}

export class FilesystemStorage implements ObjectStorage, SelfServedObjects {
  readonly root: string;
  readonly selfServed: SelfServedObjects = this;
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
        // fsync before close; each chunk freed once written when the body's reads are ours to free.
        fileWriter(temporary, { releaseChunks: options.releaseChunks ?? false }),
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
    if (!UPLOAD_ID.test(upload.uploadId)) return;
    const temporary = path.join(this.#incomplete, upload.uploadId);
    await Promise.all([
      fs.rm(temporary, { force: true }),
      fs.rm(`${temporary}.parts`, { force: true, recursive: true }),
      fs.rm(`${temporary}.json`, { force: true }),
    ]);
  }

  async startMultipart(key: string, _contentType: string): Promise<{ uploadId: string }> {
    this.#pathOf(key);
    const uploadId = randomUUID();
    const base = path.join(this.#incomplete, uploadId);
    try {
      await fs.mkdir(`${base}.parts`, { recursive: true });
      await fs.writeFile(`${base}.json`, JSON.stringify({ key, initiated: new Date().toISOString(), multipart: true }));
      return { uploadId };
    } catch (error) {
      throw asStorageError(error, 'start a multipart upload');
    }
  }

  async signPartUpload(_key: string, uploadId: string, partNumber: number, options: SignPartOptions): Promise<SignedPart> {
    const expires = Math.floor(Date.now() / 1000) + options.expiresInSeconds;
    const grant: PartGrant = {
      uploadId,
      owner: options.owner,
      partNumber,
      expires,
      maxBytes: options.maxBytes,
      sha256: options.sha256Base64 ?? '',
    };
    return {
      url: this.#signer.partUrl(grant),
      headers: options.sha256Base64 ? { 'x-amz-checksum-sha256': options.sha256Base64 } : {},
      expiresAt: new Date(expires * 1000),
    };
  }

  /**
   * Receives one part through a signed link (the API's own route stands in for R2's): at most
   * the signed size, with the signed checksum when there is one. A part sent again replaces it.
   */
  checkPartLink(grant: PartGrant, signature: string): void {
    if (!UPLOAD_ID.test(grant.uploadId) || !this.#signer.verifyPart(grant, signature)) {
      throw new AppError('part_link_invalid', 'This part upload link is invalid or has expired; ask for a fresh one.');
    }
  }

  async writePart(grant: PartGrant, signature: string, body: Readable, signal: AbortSignal): Promise<{ etag: string }> {
    this.checkPartLink(grant, signature);
    const partsDir = path.join(this.#incomplete, `${grant.uploadId}.parts`);
    if (!(await exists(partsDir))) throw new AppError('upload_not_found', 'This upload no longer exists.');
    const temporary = path.join(partsDir, `.${randomUUID()}`);
    const meter = new UploadMeter(grant.maxBytes);
    const md5 = createHash('md5');
    try {
      await pipeline(
        body,
        meter,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            callback(null, chunk);
          },
        }),
        createWriteStream(temporary, { flush: true }),
        { signal },
      );
      const sha256 = Buffer.from(meter.sha256(), 'hex').toString('base64');
      if (grant.sha256 && grant.sha256 !== sha256) {
        throw new AppError('checksum_mismatch', 'The part does not match the SHA-256 its link was signed for.', {
          details: { expected: grant.sha256, actual: sha256 },
        });
      }
      const etag = md5.digest('hex');
      const previous = (await fs.readdir(partsDir)).filter((name) => PART_FILE.exec(name)?.[1] === String(grant.partNumber));
      await fs.rename(temporary, path.join(partsDir, `${grant.partNumber}.${etag}`));
      await Promise.all(
        previous
          .filter((name) => name !== `${grant.partNumber}.${etag}`)
          .map((name) => fs.rm(path.join(partsDir, name), { force: true })),
      );
      return { etag };
    } catch (error) {
      // Our own verdict on the bytes (too large, wrong checksum) stands, even if the client went
      // away after it: the disconnect is its consequence, not its cause.
      if (isAppError(error) && error.kind !== 'unavailable') throw error;
      if (signal.aborted) throw signal.reason ?? error;
      throw asStorageError(error, 'write the part');
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  async listParts(_key: string, uploadId: string): Promise<StoredPart[] | undefined> {
    if (!UPLOAD_ID.test(uploadId)) return undefined;
    const partsDir = path.join(this.#incomplete, `${uploadId}.parts`);
    let names: string[];
    try {
      names = await fs.readdir(partsDir);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw asStorageError(error, 'list the parts of an upload');
    }
    const parts: StoredPart[] = [];
    for (const name of names) {
      const match = PART_FILE.exec(name);
      if (!match) continue;
      const stat = await fs.stat(path.join(partsDir, name)).catch(() => undefined);
      if (stat) parts.push({ partNumber: Number(match[1]), size: stat.size, etag: match[2] ?? '' });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipart(key: string, uploadId: string, parts: StoredPart[]): Promise<{ etag: string }> {
    const finalPath = this.#pathOf(key);
    if (!UPLOAD_ID.test(uploadId)) throw new AppError('upload_not_found', 'This upload no longer exists.');
    const base = path.join(this.#incomplete, uploadId);
    // A name of its own: two completions of one upload never write into one file.
    const temporary = `${base}.${randomUUID()}.assembling`;
    try {
      const output = createWriteStream(temporary, { flush: true });
      const sources = parts.map((part) => path.join(`${base}.parts`, `${part.partNumber}.${part.etag}`));
      await pipeline(async function* () {
        for (const source of sources) yield* createReadStream(source);
      }, output);
      await fs.mkdir(path.dirname(finalPath), { recursive: true });
      await fs.rename(temporary, finalPath);
      await this.abortIncompleteUpload({ key, uploadId, initiated: new Date() });
      // As S3 does for multipart objects: the MD5 of the parts' MD5s, and their count.
      const md5s = createHash('md5');
      for (const part of parts) md5s.update(Buffer.from(part.etag, 'hex'));
      return { etag: `${md5s.digest('hex')}-${parts.length}` };
    } catch (error) {
      throw asStorageError(error, 'complete a multipart upload');
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    const filePath = this.#pathOf(key);
    if (end <= start) return Buffer.alloc(0);
    try {
      const handle = await fs.open(filePath, 'r');
      try {
        const buffer = Buffer.alloc(end - start);
        const { bytesRead } = await handle.read(buffer, 0, end - start, start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw asStorageError(error, 'read part of the object');
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<ObjectRead> {
    const filePath = this.#pathOf(key);
    try {
      await fs.access(filePath, fs.constants.R_OK);
    } catch (error) {
      throw asStorageError(error, 'read the object');
    }
    return { body: createReadStream(filePath, signal ? { signal } : {}), etag: undefined };
  }

  async downloadUrl(key: string, options: DownloadUrlOptions): Promise<string> {
    this.#pathOf(key);
    return this.#signer.url({
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

  /**
   * Walks folder by folder rather than with readdir's `recursive`: that one fails as a whole when a
   * concurrent delete removes any subfolder mid-walk, which would list nothing at all. A folder that
   * vanished holds nothing any more, so it is skipped.
   */
  async *#walk(folder: string): AsyncGenerator<StoredObject> {
    const pending = [folder ? path.join(this.root, ...folder.split('/')) : this.root];
    for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await fs.readdir(current, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw error;
      }
      for (const entry of entries) {
        const full = path.join(current, entry.name);
        const key = path.relative(this.root, full).split(path.sep).join('/');
        if (key === INCOMPLETE_DIR || key.startsWith(`${INCOMPLETE_DIR}/`)) continue;
        if (entry.isDirectory()) {
          pending.push(full);
          continue;
        }
        if (!entry.isFile()) continue;
        const stat = await fs.stat(full).catch(() => undefined);
        if (stat) yield { key, size: stat.size, lastModified: stat.mtime };
      }
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

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
