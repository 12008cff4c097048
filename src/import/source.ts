/** Where an import reads from: a folder or a bucket, listed as keys relative to its root. */
import type { Readable } from 'node:stream';

export interface SourceObject {
  /** Relative to the source's root, '/'-separated: datasets/german-credit/raw/a.csv. */
  key: string;
  size: number;
}

export interface ImportSource {
  /** For people: the folder, or s3://bucket/prefix at its endpoint. */
  readonly description: string;
  list(): AsyncIterable<SourceObject>;
  open(key: string): Promise<Readable>;
  close(): Promise<void>;
}
