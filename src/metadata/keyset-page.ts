/**
 * One page of a list SQL function, the same way for every list: the cursor's position becomes
 * p_after_created and p_after_id (with p_after_value when sorted by a value), and one row more
 * than the limit is asked for, to know whether another page follows.
 */
import type { Page } from '../domain.ts';
import { decodeCursor, decodeNumberCursor, encodeNumberCursor, pageOf } from '../pagination.ts';

type PageArgs = {
  p_limit: number;
  p_after_created: string | null;
  p_after_id: string | null;
  p_after_value?: number | null;
};

type Row = { createdAt: string; id: string; sortValue?: number | null };

/** `sort`: the non-default order the rows come in (e.g. 'metrics.auc:desc'), each row with its sortValue. */
export async function keysetPage<T extends Row>(
  query: { limit: number; cursor?: string | undefined },
  fetchRows: (args: PageArgs) => Promise<T[]>,
  sort?: string,
): Promise<Page<T>> {
  const after = query.cursor ? decodeCursor(query.cursor, sort) : undefined;
  const position = { p_after_created: after?.createdAt ?? null, p_after_id: after?.id ?? null };
  if (sort === undefined) return pageOf(await fetchRows({ p_limit: query.limit + 1, ...position }), query.limit);
  const rows = await fetchRows({ p_limit: query.limit + 1, ...position, p_after_value: after?.value ?? null });
  const page = pageOf(rows, query.limit, (row) => ({ sort, value: row.sortValue ?? null }));
  // The sort value is the cursor's, not the record's.
  return { items: page.items.map(({ sortValue: _sortValue, ...item }) => item as T), nextCursor: page.nextCursor };
}

/** A page of a list ordered by a number, descending (`key`: the rows' field holding it). */
export async function numberedPage<K extends string, T extends Record<K, number>>(
  query: { limit: number; cursor?: string | undefined },
  key: K,
  fetchRows: (args: { limit: number; after: number | null }) => Promise<T[]>,
): Promise<Page<T>> {
  const after = query.cursor ? decodeNumberCursor(query.cursor, key) : null;
  const rows = await fetchRows({ limit: query.limit + 1, after });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeNumberCursor(key, last[key]) : null };
}
