/**
 * Accepted file types, detected from the file name's extension (the client's Content-Type of a
 * part is not trusted). Each resource keeps its own table in its schema module; anything else
 * is 415 before a byte moves.
 */
import { AppError } from '../errors.ts';

export interface FileType {
  /** Stored with the object and served on download. */
  contentType: string;
}

export function extensionOf(filename: string): string {
  const base = filename.slice(filename.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The entry of `table` for `filename`'s extension, or 415 unsupported_media_type. */
export function fileTypeOf<T extends FileType>(what: string, table: Readonly<Record<string, T>>, filename: string): T {
  const type = Object.hasOwn(table, extensionOf(filename)) ? table[extensionOf(filename)] : undefined;
  if (!type) {
    const allowedExtensions = Object.keys(table);
    throw new AppError(
      'unsupported_media_type',
      `${filename} is not an accepted ${what} file; allowed extensions: ${allowedExtensions.join(', ')}.`,
      { details: { allowedExtensions } },
    );
  }
  return type;
}
