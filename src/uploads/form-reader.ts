/**
 * The one reader of multipart upload forms. Fields come first; the fields that choose where
 * the bytes go must precede the first file, descriptive ones (the spec's `late`) may follow
 * it, as forms such as Swagger UI's send fields in the order the user filled them. A `sha256`
 * field applies to the next file part (and, where the spec allows, a `path` field names it); a
 * Repr-Digest/Content-Digest header to the only one.
 */
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import { parseHexSha256 } from '../fields/digests.ts';
import { parseFields } from '../fields/problems.ts';
import { textProblem } from '../text-input.ts';
import type { FieldPart, FilePart, IncomingPart, UploadContext } from './parts.ts';

export interface FormSpec<S extends z.ZodObject> {
  /** What the upload is, for messages: dataset, model, explanation. */
  kind: string;
  /** The rules of the fields. */
  fields: S;
  /** Fields that may be sent more than once (their values arrive as a list). */
  repeatable?: readonly string[];
  /** Fields that may also follow a file: they describe it, they do not place it. */
  late?: readonly string[];
  /** How many file parts (named `file`) the request must and may carry. */
  files: { min: number; max: number };
  /** A `path` field names the next file part's path (forms that cannot set a filename, e.g. Swagger UI's). */
  paths?: boolean;
}

export interface ReceivedFile {
  part: FilePart;
  /** From the path field before the part, else the part's filename. */
  path: string;
  /** From the sha256 field before the part, else the request's digest header. */
  expectedSha256: string | undefined;
}

export interface Form<T> {
  /** The fields sent before the first file, parsed by the spec's rules. */
  fields: T;
  /** The file parts in order; read each one's stream before asking for the next. */
  files: AsyncIterable<ReceivedFile>;
  /** Once the files are read: the late fields that came after a file, parsed with all the others. */
  lateFields(): Partial<T>;
}

/** Reads up to the first file part (or the end) and parses the fields; the files follow. */
export async function readForm<S extends z.ZodObject>(
  parts: AsyncIterable<IncomingPart>,
  spec: FormSpec<S>,
  context: UploadContext,
): Promise<Form<z.output<S>>> {
  const allowed = new Set(Object.keys(spec.fields.shape));
  const late = new Set(spec.late ?? []);
  const values: Record<string, string | string[]> = {};
  const sentLate = new Set<string>();
  let pendingSha256: string | undefined;
  let pendingPath: string | undefined;
  let filesSeen = 0;
  let afterFile = false;
  const iterator = parts[Symbol.asyncIterator]();

  const addField = (part: FieldPart) => {
    if (part.name === 'sha256' && filesSeen < spec.files.max) {
      pendingSha256 = part.value === '' ? undefined : parseHexSha256(part.value);
      return;
    }
    if (part.name === 'path' && spec.paths && filesSeen < spec.files.max) {
      if (part.truncated) throw new AppError('field_too_large', 'The field path is larger than the field size limit.');
      pendingPath = part.value === '' ? undefined : part.value;
      return;
    }
    if (part.truncated) throw new AppError('field_too_large', `The field ${part.name} is larger than the field size limit.`);
    if (!allowed.has(part.name) && part.name !== 'sha256') {
      const accepted = [...allowed, 'sha256', ...(spec.paths ? ['path'] : []), 'file'];
      throw new AppError(
        'unexpected_part',
        `Unknown field ${JSON.stringify(part.name)}; this request accepts ${accepted.join(', ')}.`,
      );
    }
    if (afterFile && !late.has(part.name)) {
      const may = late.size > 0 ? `only ${[...late].join(', ')} may follow a file` : 'send every field before the first file';
      throw new AppError('field_after_file', `The field ${JSON.stringify(part.name)} came after a file part; ${may}.`);
    }
    // An empty field is an absent one: HTML forms and Swagger UI send every field, filled or not.
    if (part.value === '') return;
    const problem = textProblem(part.value);
    if (problem) throw new AppError('validation_failed', `The field ${part.name} ${problem}.`);
    if (afterFile) sentLate.add(part.name);
    if (spec.repeatable?.includes(part.name)) {
      values[part.name] = [...((values[part.name] as string[] | undefined) ?? []), part.value];
    } else if (part.name in values) {
      throw new AppError('validation_failed', `The field ${part.name} was sent more than once.`);
    } else {
      values[part.name] = part.value;
    }
  };

  const receive = (part: FilePart): ReceivedFile => {
    if (part.name !== 'file') {
      throw new AppError('unexpected_part', `File parts must be named "file", not ${JSON.stringify(part.name)}.`);
    }
    filesSeen += 1;
    if (filesSeen > spec.files.max) {
      const most = spec.files.max === 1 ? 'exactly one file' : `at most ${spec.files.max} files`;
      throw new AppError('too_many_files', `A ${spec.kind} has ${most}; this request sent more.`);
    }
    if (context.headerSha256 && filesSeen > 1) {
      throw new AppError(
        'invalid_digest',
        'A Repr-Digest or Content-Digest header applies to single-file requests only; send a sha256 field before each file instead.',
      );
    }
    afterFile = true;
    const expectedSha256 = pendingSha256 ?? context.headerSha256;
    const path = pendingPath ?? part.filename;
    pendingSha256 = undefined;
    pendingPath = undefined;
    return { part, path, expectedSha256 };
  };

  /** The next file part, with the fields before it taken in; undefined at the end. */
  const nextFile = async (): Promise<FilePart | undefined> => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return undefined;
      if (next.value.kind === 'file') return next.value;
      addField(next.value);
    }
  };

  const first = await nextFile();
  const fields = parseFields(spec.fields, values);

  async function* files(): AsyncGenerator<ReceivedFile> {
    let part = first;
    while (part) {
      yield receive(part);
      part = await nextFile();
    }
    if (pendingSha256 !== undefined) throw new AppError('missing_file', 'A sha256 field was sent with no file part after it.');
    if (pendingPath !== undefined) throw new AppError('missing_file', 'A path field was sent with no file part after it.');
    if (filesSeen < spec.files.min) {
      throw new AppError(
        'missing_file',
        spec.files.max === 1
          ? `Send the ${spec.kind} file as a part named "file", after the fields.`
          : 'Send at least one file part named "file".',
      );
    }
  }

  return {
    fields,
    files: files(),
    lateFields: () => {
      if (sentLate.size === 0) return {};
      const parsed = parseFields(spec.fields, values);
      return Object.fromEntries([...sentLate].map((name) => [name, parsed[name]])) as Partial<z.output<S>>;
    },
  };
}
