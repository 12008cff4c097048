/**
 * Who acts and what every resource shares (pages, scopes, stored state). Each resource's own
 * shape lives in its schema module (src/datasets/schema.ts, …).
 */

export type UploadState = 'pending' | 'ready';

/** Who is acting: the owner of what they create; admins see every owner's records. */
export interface Principal {
  id: string;
  role: 'user' | 'admin';
}

/**
 * Who acts in one request, with both scopes made once when the request is authenticated: what
 * they may see and change (`scope`: their own records, or every owner's for an admin), and whom
 * what they create belongs to (`own`). The core takes this, never re-deriving a scope per call.
 */
export interface Actor {
  readonly principal: Principal;
  readonly scope: OwnerScope;
  readonly own: OwnScope;
}

export function actorOf(principal: Principal): Actor {
  return { principal, scope: ownerScope(principal), own: ownScope(principal) };
}

/** A page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Object keys whose rows are gone; the caller deletes the objects. */
export interface DeletedKeys {
  deletedKeys: string[];
}

/**
 * Whose records a call may see and change: one owner's, or every owner's (admins). Made only
 * by `ownerScope` and `ownScope`, from an authenticated principal, so no string from a request
 * (a token's subject, a form field) can become a scope. It reaches SQL through one function
 * (src/metadata/owner-argument.ts).
 */
export type OwnerScope = OwnScope | { readonly all: true };

/** One owner's scope: also the owner of a record it creates. */
export interface OwnScope {
  readonly owner: string;
}

/** Principal ids: what Supabase user ids (uuids) and API key owners are made of. */
export const PRINCIPAL_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@|+-]{0,127}$/;

export function ownerScope(principal: Principal): OwnerScope {
  return principal.role === 'admin' ? { all: true } : ownScope(principal);
}

/** The principal's own id as a scope, whatever its role: the owner of a record it creates. */
export function ownScope(principal: Principal): OwnScope {
  // Checked where principals are made too; here the scope cannot be widened even by a bug there.
  if (!PRINCIPAL_ID.test(principal.id)) throw new Error('A principal id outside the safe character set.');
  return { owner: principal.id };
}
