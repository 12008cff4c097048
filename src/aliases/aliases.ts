/**
 * Aliases of dataset versions and model versions: what the caller may see is settled by the
 * SQL (the dataset is theirs), who moved an alias is the acting principal.
 */
import type { Actor, Page } from '../domain.ts';
import type { AliasRecords } from '../metadata/alias-records.ts';
import type { Alias, AliasEvent, AliasOwner } from './schema.ts';

export class Aliases {
  readonly #records: AliasRecords;

  constructor(records: AliasRecords) {
    this.#records = records;
  }

  set(actor: Actor, target: AliasOwner, alias: string, version: number): Promise<Alias> {
    return this.#records.set(actor.scope, actor.principal.id, target, alias, version);
  }

  get(actor: Actor, target: AliasOwner, alias: string): Promise<Alias> {
    return this.#records.get(actor.scope, target, alias);
  }

  delete(actor: Actor, target: AliasOwner, alias: string): Promise<void> {
    return this.#records.delete(actor.scope, actor.principal.id, target, alias);
  }

  history(
    actor: Actor,
    target: AliasOwner,
    alias: string,
    query: { limit: number; cursor?: string | undefined; at?: string | undefined },
  ): Promise<Page<Omit<AliasEvent, 'id'>>> {
    return this.#records.history(actor.scope, target, alias, query);
  }
}
