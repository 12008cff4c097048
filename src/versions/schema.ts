/**
 * What every model version and explanation shares: one or more stored files. A single-file
 * version keeps its file's fields at the top level of the record (as before versions held
 * several files); `files` lists every file, each downloadable on its own.
 */
import { z } from 'zod';
import type { FormSpec } from '../uploads/form-reader.ts';

/** Files one version may hold (an MLflow folder, sharded weights with their index, …). */
export const MAX_VERSION_FILES = 1000;

/** The upload form of a version kind: its fields (tags repeatable, `late` ones also after a file), then its files by path. */
export function versionForm<S extends z.ZodObject>(kind: string, fields: S, late: readonly string[]): FormSpec<S> {
  return { kind, fields, repeatable: ['tags'], late, files: { min: 1, max: MAX_VERSION_FILES }, paths: true };
}

export const versionFileSchema = z
  .object({
    id: z.string(),
    path: z.string().describe('Path within the version, e.g. model/MLmodel.'),
    size: z.number().int(),
    sha256: z.string(),
    contentType: z.string(),
  })
  .meta({ id: 'VersionFile' });

export type VersionFileView = z.infer<typeof versionFileSchema>;

/** The file fields of a model or explanation record. */
export const versionFileFields = {
  state: z
    .enum(['pending', 'ready'])
    .describe('ready; pending only in the result of a direct upload of one of its files before the last is verified.'),
  filename: z.string().nullable().describe('The file name of a single-file version; null when it holds several (see files).'),
  size: z.number().int().describe('Bytes of all its files.'),
  sha256: z.string().nullable().describe('SHA-256 of a single-file version; null when it holds several (see files).'),
  contentType: z.string().nullable().describe('Of a single-file version; null when it holds several.'),
  fileCount: z.number().int(),
  files: z.array(versionFileSchema).describe('Every file, by path; each has its own download route.'),
};

/** What the store keeps about a version beside what the API shows. */
export interface StoredVersion {
  id: string;
  createdAt: string;
  ownerId: string;
  state: 'pending' | 'ready';
  /** The single file's key and ETag; null when the version holds several files. */
  objectKey: string | null;
  etag: string | null;
  filename: string | null;
  size: number;
  sha256: string | null;
  contentType: string | null;
  files: VersionFileView[];
}
