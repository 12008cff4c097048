/** A local folder as an import source (Railway's local storage, a copied tree). Never written to. */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ImportSource, SourceObject } from './source.ts';

export class FolderSource implements ImportSource {
  readonly description: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
    this.description = this.#root;
  }

  async *list(): AsyncIterable<SourceObject> {
    yield* this.#walk('');
  }

  async *#walk(relative: string): AsyncIterable<SourceObject> {
    const entries = await fs.readdir(path.join(this.#root, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const key = relative ? `${relative}/${entry.name}` : entry.name;
      // Links are not followed: a tree must not lead the import outside the folder.
      if (entry.isDirectory()) yield* this.#walk(key);
      else if (entry.isFile()) yield { key, size: (await fs.stat(path.join(this.#root, key))).size };
    }
  }

  async open(key: string): Promise<Readable> {
    return createReadStream(path.join(this.#root, ...key.split('/')));
  }

  async close(): Promise<void> {}
}
