/** The records the API stores and returns (shapes produced by the SQL functions). */

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
