/** What the reconciler reads and removes: typed calls of the maintenance SQL functions. */
import type { SqlFunctionCaller } from './sql-caller.ts';

/** A stored file of any artifact, or an artifact row itself (its files carry the keys). */
export type RowKind = 'file' | 'dataset' | 'model' | 'explanation';

export interface PendingRow {
  kind: RowKind;
  id: string;
  /** null for a pending dataset, model or explanation (its files carry the keys). */
  objectKey: string | null;
  createdAt: string;
}

export interface ReadyRow {
  kind: 'file';
  id: string;
  objectKey: string;
}

export class MaintenanceRecords {
  readonly #caller: SqlFunctionCaller;

  constructor(caller: SqlFunctionCaller) {
    this.#caller = caller;
  }

  stalePending(before: Date, limit: number): Promise<PendingRow[]> {
    return this.#caller.call('xai_stale_pending', { p_before: before.toISOString(), p_limit: limit });
  }

  deleteStalePending(row: PendingRow, before: Date): Promise<boolean> {
    return this.#caller.call('xai_delete_stale_pending', { p_kind: row.kind, p_id: row.id, p_before: before.toISOString() });
  }

  keysWithRows(keys: string[]): Promise<string[]> {
    return this.#caller.call('xai_keys_with_rows', { p_keys: keys });
  }

  readyKeys(after: string | null, limit: number): Promise<ReadyRow[]> {
    return this.#caller.call('xai_ready_keys', { p_after: after, p_limit: limit });
  }
}
