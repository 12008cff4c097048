/**
 * Opaque keyset cursors: the position of the last row of a page — (createdAt, id), plus the
 * sort key and its value when a listing is sorted by something else — as base64url JSON.
 */
import { AppError } from './errors.ts';

export interface KeysetPosition {
  createdAt: string;
  id: string;
  /** The sort the page was produced with ('createdAt:desc', 'metrics.auc:desc', ...). */
  sort?: string;
  /** The row's value of that sort key (null: the row has none). */
  value?: number | null;
}

export function encodeCursor(position: KeysetPosition): string {
  const fields: unknown[] = [position.createdAt, position.id];
  if (position.sort !== undefined) fields.push(position.sort, position.value ?? null);
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Decodes a cursor made for `sort` (undefined: the default newest-first order). */
export function decodeCursor(cursor: string, sort?: string): KeysetPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value)) {
      const [createdAt, id, cursorSort, sortValue] = value as unknown[];
      const positionOk = isRealTimestamp(createdAt) && typeof id === 'string' && UUID.test(id);
      const sortOk =
        sort === undefined
          ? value.length === 2
          : value.length === 4 &&
            cursorSort === sort &&
            (sortValue === null || (typeof sortValue === 'number' && Number.isFinite(sortValue)));
      if (positionOk && sortOk) {
        return sort === undefined ? { createdAt, id } : { createdAt, id, sort, value: sortValue as number | null };
      }
    }
  } catch {
    // fall through to the clear error below
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this listing returned; start again without it.');
}

/** A timestamp as the API writes it, naming an instant that exists (no 30 February, no year 0). */
function isRealTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_UTC.test(value)) return false;
  const year = Number(value.slice(0, 4));
  const milliseconds = `${value.slice(0, 23)}Z`;
  const parsed = new Date(milliseconds);
  return year >= 1 && !Number.isNaN(parsed.getTime()) && parsed.toISOString() === milliseconds;
}

/** Given limit+1 rows, returns the page and the cursor of its last row when more exist. */
export function pageOf<T extends { createdAt: string; id: string }>(
  rows: T[],
  limit: number,
  sortOf?: (row: T) => { sort: string; value: number | null },
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  if (rows.length <= limit || !last) return { items, nextCursor: null };
  return { items, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id, ...sortOf?.(last) }) };
}

/**
 * Cursors of lists ordered by a number (dataset versions, alias events), newest first: the
 * last row's number, with what it numbers, so a cursor of one list is refused by another.
 */
export function encodeNumberCursor(kind: string, value: number): string {
  return Buffer.from(JSON.stringify([kind, value]), 'utf8').toString('base64url');
}

export function decodeNumberCursor(cursor: string, kind: string): number {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value[0] === kind && Number.isSafeInteger(value[1]) && value[1] > 0) {
      return value[1] as number;
    }
  } catch {
    // fall through to the clear error below
  }
  throw new AppError('invalid_cursor', 'The cursor is not one this listing returned; start again without it.');
}
