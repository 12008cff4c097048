/**
 * The one place a scope becomes the `p_owner` argument of the SQL functions: the owner's id, or
 * '*' for every owner (admins). Principal ids never contain '*' (PRINCIPAL_ID), and every SQL
 * function taking p_owner filters through xai_can_see (test/sql-scope.test.ts checks that).
 */
import type { OwnerScope } from '../domain.ts';

export function ownerArgument(scope: OwnerScope): string {
  return 'all' in scope ? '*' : scope.owner;
}
