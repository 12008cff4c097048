/** The records the API stores and returns (shapes produced by the SQL functions). */
import type { ProfileSummary } from './profiles/profile.ts';

export type UploadState = 'pending' | 'ready';

/** Who is acting: the owner of what they create; admins see every owner's records. */
export interface Principal {
  id: string;
  role: 'user' | 'admin';
}

export interface DatasetFile {
  id: string;
  datasetId: string;
  path: string;
  size: number;
  sha256: string;
  contentType: string;
  etag: string | null;
  state: UploadState;
  objectKey: string;
  createdAt: string;
  updatedAt: string;
  profile: ProfileSummary;
}

export interface Dataset {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  tags: string[];
  status: string;
  state: UploadState;
  createdAt: string;
  updatedAt: string;
  fileCount: number;
  totalBytes: number;
  dependants: { models: number; explanations: number };
  files?: DatasetFile[];
}

export interface DatasetPatch {
  description?: string | null;
  tags?: string[];
  status?: string;
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

export interface ModelRef {
  id: string;
  name: string;
  version: number;
}

/** What a model and an explanation both are: one stored file with its metadata. */
export interface StoredArtifact {
  id: string;
  ownerId: string;
  description: string | null;
  tags: string[];
  filename: string;
  size: number;
  sha256: string;
  contentType: string;
  etag: string | null;
  state: UploadState;
  objectKey: string;
  createdAt: string;
  updatedAt: string;
  dataset: { id: string; name: string };
}

export interface Model extends StoredArtifact {
  name: string;
  version: number;
  framework: string;
  format: string;
  safeToLoad: boolean;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  dependants: { explanations: number };
  explanations?: Array<{ id: string; method: string; createdAt: string }>;
  /** The value the listing was sorted by, when sorted by a metric. */
  sortValue?: number | null;
}

export interface ModelPatch {
  description?: string | null;
  tags?: string[];
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
}

export interface Explanation extends StoredArtifact {
  method: string;
  params: Record<string, unknown>;
  summary: Record<string, unknown>;
  model: ModelRef;
}

export interface ExplanationPatch {
  description?: string | null;
  tags?: string[];
  summary?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

/**
 * The owner filter the SQL functions take: the principal's own id, or the admin scope ('*' in
 * SQL), which sees and manages every owner's records. A distinct type that only `ownerScope`
 * makes, so no string from a request (a token's subject, a form field) can become a scope.
 * New datasets always get the caller's own id.
 */
export type OwnerScope = string & { readonly __ownerScope: unique symbol };

/** Principal ids: what Supabase user ids (uuids) and API key owners are made of. Never '*'. */
export const PRINCIPAL_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@|+-]{0,127}$/;

const ADMIN_SCOPE = '*' as OwnerScope;

export function ownerScope(principal: Principal): OwnerScope {
  return principal.role === 'admin' ? ADMIN_SCOPE : ownScope(principal);
}

/** The principal's own id as a scope, whatever its role: the owner of a record it creates. */
export function ownScope(principal: Principal): OwnerScope {
  // Checked where principals are made too; here the scope cannot be widened even by a bug there.
  if (!PRINCIPAL_ID.test(principal.id)) throw new Error('A principal id outside the safe character set.');
  return principal.id as OwnerScope;
}
