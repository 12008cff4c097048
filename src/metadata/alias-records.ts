/** Alias records: typed calls of supabase/sql/17_aliases.sql. */
import type { Alias, AliasEvent, AliasOwner } from '../aliases/schema.ts';
import type { OwnerScope, Page } from '../domain.ts';
import { numberedPage } from './keyset-page.ts';
import { ownerArgument } from './owner-argument.ts';
import type { SqlFunctionCaller } from './sql-caller.ts';

export class AliasRecords {
  readonly #caller: SqlFunctionCaller;

  constructor(caller: SqlFunctionCaller) {
    this.#caller = caller;
  }

  #target(owner: OwnerScope, target: AliasOwner, alias: string) {
    return { p_owner: ownerArgument(owner), p_dataset_ref: target.dataset, p_model_name: target.model ?? null, p_alias: alias };
  }

  /** Sets or moves the alias (a move is recorded; setting it to the version it names changes nothing). */
  set(owner: OwnerScope, by: string, target: AliasOwner, alias: string, version: number): Promise<Alias> {
    return this.#caller.call('xai_set_alias', { ...this.#target(owner, target, alias), p_by: by, p_version: version });
  }

  get(owner: OwnerScope, target: AliasOwner, alias: string): Promise<Alias> {
    return this.#caller.lookup('xai_get_alias', this.#target(owner, target, alias));
  }

  async delete(owner: OwnerScope, by: string, target: AliasOwner, alias: string): Promise<void> {
    await this.#caller.call('xai_delete_alias', { ...this.#target(owner, target, alias), p_by: by });
  }

  /** Its moves, newest first; with `at`, only those at or before it. */
  async history(
    owner: OwnerScope,
    target: AliasOwner,
    alias: string,
    query: { limit: number; cursor?: string | undefined; at?: string | undefined },
  ): Promise<Page<Omit<AliasEvent, 'id'>>> {
    const page = await numberedPage(query, 'id', (position) =>
      this.#caller.call<AliasEvent[]>('xai_alias_history', {
        ...this.#target(owner, target, alias),
        p_limit: position.limit,
        p_after_id: position.after,
        p_at: query.at ?? null,
      }),
    );
    return { items: page.items.map(({ id: _id, ...event }) => event), nextCursor: page.nextCursor };
  }
}
