/** File paths and names as they end up in object keys: relative, safe segments, NFC. */
import { AppError } from '../errors.ts';

export const MAX_PATH_BYTES = 512;
const MAX_SEGMENT_BYTES = 255;

/**
 * A file's path inside a dataset: relative, '/'-separated, made of safe segments.
 * Returned NFC-normalized so the same name typed on two systems is one path.
 */
export function validateRelativePath(raw: string): string {
  const value = raw.normalize('NFC');
  const problem = pathProblem(value);
  if (problem) throw new AppError('invalid_path', `The file path ${JSON.stringify(raw)} is not allowed: ${problem}.`);
  return value;
}

function pathProblem(value: string): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (Buffer.byteLength(value, 'utf8') > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused here
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'it contains control characters';
  if (/[\u202a-\u202e\u2066-\u2069]/.test(value)) return 'it contains bidirectional control characters';
  // Invisible characters make two different paths look the same (zero-width space, joiners,
  // direction marks, word joiner, soft hyphen, byte-order mark) or break lines (U+2028/2029).
  if (/[\u00ad\u200b-\u200f\u2028\u2029\u2060-\u2064\ufeff]/.test(value)) {
    return 'it contains invisible or line-separator characters';
  }
  if (value.includes('\\')) return 'it contains a backslash';
  if (value.startsWith('/')) return 'it is absolute';
  for (const segment of value.split('/')) {
    if (segment === '') return 'it has an empty segment';
    if (segment === '.' || segment === '..') return 'it has a . or .. segment';
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`;
  }
  return undefined;
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
