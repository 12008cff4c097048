/**
 * One page of a list SQL function, the same way for every list: the cursor's position becomes
 * p_after_created and p_after_id (with p_after_value when sorted by a value), and one row more
 * than the limit is asked for, to know whether another page follows.
 */
import type { Page } from '../domain.ts';
import { decodeCursor, pageOf } from '../pagination.ts';

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
