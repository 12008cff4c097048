/**
 * The upload pipeline for resources with exactly one file (models, explanations): fields
 * first, then one part named `file`. Reserve a row (via the caller) before the bytes move,
 * stream them through the meter into storage, finalize; on any failure remove the object
 * and the reservation.
 */
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ObjectStorage } from '../storage/port.ts';
import { type ArtifactKind, contentTypeFor } from './content-types.ts';
import { parseHexSha256 } from './digests.ts';
import type { FormFields } from './form-fields.ts';
import { basename, validateRelativePath } from './names.ts';
import type { IncomingPart, UploadContext } from './parts.ts';
import { type StreamedObject, UploadBatch } from './upload-batch.ts';

export interface SingleFileSteps<T> {
  /** Validates the fields and reserves the row; returns the object key to write. */
  reserve(file: { filename: string; contentType: string }): Promise<{ key: string }>;
  /** `late`: the fields that came after the file (now in the same FormFields), to apply first. */
  finalize(stored: StreamedObject, late: ReadonlySet<string>): Promise<T>;
  /** Removes the reservation after a failure. */
  abandon(): Promise<void>;
}

export interface SingleFileUpload {
  kind: ArtifactKind;
  /**
   * Fields that may also come after the file: descriptive ones that do not choose the object
   * key (forms such as Swagger UI's send fields in the order the user filled them).
   */
  lateFields: readonly string[];
  maxBytes: number;
  storage: ObjectStorage;
  log: Logger;
}

export async function receiveSingleFile<T>(
  upload: SingleFileUpload,
  parts: AsyncIterable<IncomingPart>,
  context: UploadContext,
  fields: FormFields,
  steps: SingleFileSteps<T>,
): Promise<T> {
  const batch = new UploadBatch(upload.storage, upload.log);
  let reserved = false;
  let stored: StreamedObject | undefined;
  let expectedSha256 = context.headerSha256;
  const late = new Set<string>();
  try {
    for await (const part of parts) {
      if (part.kind === 'field') {
        if (stored && upload.lateFields.includes(part.name)) {
          fields.add(part);
          if (part.value !== '') late.add(part.name);
          continue;
        }
        if (stored) {
          throw new AppError(
            'field_after_file',
            `The field ${JSON.stringify(part.name)} came after the file; send it first (only ${upload.lateFields.join(', ')} may follow the file).`,
          );
        }
        if (part.name === 'sha256') expectedSha256 = part.value === '' ? context.headerSha256 : parseHexSha256(part.value);
        else fields.add(part);
        continue;
      }
      if (part.name !== 'file') {
        throw new AppError('unexpected_part', `The file part must be named "file", not ${JSON.stringify(part.name)}.`);
      }
      if (stored) throw new AppError('too_many_files', `A ${upload.kind} has exactly one file; this request sent more.`);
      const filename = basename(validateRelativePath(part.filename));
      const contentType = contentTypeFor(upload.kind, filename);
      const { key } = await steps.reserve({ filename, contentType });
      reserved = true;
      stored = await batch.stream(part, { key, contentType, maxBytes: upload.maxBytes, expectedSha256, signal: context.signal });
    }
    if (!stored) throw new AppError('missing_file', `Send the ${upload.kind} file as a part named "file", after the fields.`);
    return await steps.finalize(stored, late);
  } catch (error) {
    await batch.discard();
    if (reserved) {
      await steps.abandon().catch((abandonError: unknown) => {
        upload.log.warn({ err: abandonError }, 'pending row left for the reconciler: abandon failed');
      });
    }
    throw error;
  }
}
