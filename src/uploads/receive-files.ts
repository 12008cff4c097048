/**
 * The one sequence every proxied upload runs for each file of its form, whatever the kind:
 * check the path and type, reserve the file's row (the database decides races before a byte
 * moves), stream the bytes into storage through the meter (size limit, SHA-256, the client's
 * digest), and, for kinds that profile, record the profile the stream fed. What differs by kind
 * comes in as a FileSink; the batch undoes all of it unless the caller commits.
 */
import { validateRelativePath } from '../fields/paths.ts';
import type { FileProfiling } from '../profiles/profile-file.ts';
import type { ReceivedFile } from './form-reader.ts';
import type { UploadContext } from './parts.ts';
import type { UploadBatch } from './upload-batch.ts';

export interface FileSink {
  maxBytes: number;
  /** The stored content type of a file at `path` (415 when the kind does not take it); `index`: its place in the form. */
  contentTypeOf(path: string, index: number): string;
  /** Reserves the file's row; its id and where its bytes go. */
  reserve(path: string, contentType: string): Promise<{ id: string; objectKey: string }>;
  /** Kinds that profile their files: the profiling the stream feeds (none for a file it does not profile), and where its result goes. */
  profiling?(path: string): FileProfiling | undefined;
  recordProfile?(fileId: string, key: string, size: number, profiling: FileProfiling): Promise<void>;
}

/** A file of the form, stored (its row still pending until the caller finalizes). */
export interface ReceivedObject {
  id: string;
  path: string;
  size: number;
  sha256: string;
  etag: string;
}

export async function receiveFiles(
  files: AsyncIterable<ReceivedFile>,
  sink: FileSink,
  batch: UploadBatch,
  context: UploadContext,
): Promise<ReceivedObject[]> {
  const received: ReceivedObject[] = [];
  for await (const { part, path: sentPath, expectedSha256 } of files) {
    const path = validateRelativePath(sentPath);
    const contentType = sink.contentTypeOf(path, received.length);
    const { id, objectKey: key } = await sink.reserve(path, contentType);
    const profiling = sink.profiling?.(path);
    let stored: Awaited<ReturnType<UploadBatch['stream']>>;
    try {
      stored = await batch.stream(part, {
        key,
        contentType,
        maxBytes: sink.maxBytes,
        expectedSha256,
        signal: context.signal,
        observe: profiling?.observe,
      });
    } catch (error) {
      profiling?.abandon();
      throw error;
    }
    if (profiling) await sink.recordProfile?.(id, key, stored.size, profiling);
    received.push({ id, path, size: stored.size, sha256: stored.sha256, etag: stored.etag });
  }
  return received;
}
