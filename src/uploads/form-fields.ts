/** Text fields of a multipart request: which are allowed, once or repeatable, and their limits. */
import { AppError } from '../errors.ts';
import { textProblem } from '../text-input.ts';
import type { FieldPart } from './parts.ts';

export class FormFields {
  readonly #allowed: ReadonlySet<string>;
  readonly #repeatable: ReadonlySet<string>;
  readonly #values = new Map<string, string[]>();

  constructor(allowed: readonly string[], repeatable: readonly string[] = []) {
    this.#allowed = new Set(allowed);
    this.#repeatable = new Set(repeatable);
  }

  add(part: FieldPart): void {
    if (part.truncated) {
      throw new AppError('field_too_large', `The field ${part.name} is larger than the field size limit.`);
    }
    if (!this.#allowed.has(part.name)) {
      throw new AppError(
        'unexpected_part',
        `Unknown field ${JSON.stringify(part.name)}; this request accepts ${[...this.#allowed].join(', ')}.`,
      );
    }
    // An empty field is an absent one: HTML forms and Swagger UI send every field, filled or not.
    if (part.value === '') return;
    const problem = textProblem(part.value);
    if (problem) throw new AppError('validation_failed', `The field ${part.name} ${problem}.`);
    const values = this.#values.get(part.name) ?? [];
    if (values.length > 0 && !this.#repeatable.has(part.name)) {
      throw new AppError('validation_failed', `The field ${part.name} was sent more than once.`);
    }
    values.push(part.value);
    this.#values.set(part.name, values);
  }

  one(name: string): string | undefined {
    return this.#values.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.#values.get(name) ?? [];
  }
}

const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _.:-]{0,63}$/u;

/** Tags from repeated fields and/or comma-separated values: trimmed, unique, validated. */
export function parseTags(values: readonly string[]): string[] {
  const tags = [
    ...new Set(
      values
        .flatMap((value) => value.split(','))
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
  if (tags.length > 50) throw new AppError('validation_failed', 'At most 50 tags are allowed.');
  const bad = tags.find((tag) => !TAG.test(tag));
  if (bad !== undefined) {
    throw new AppError(
      'validation_failed',
      `The tag ${JSON.stringify(bad)} is not allowed: use 1-64 letters, digits, spaces or _ . : -.`,
    );
  }
  return tags;
}

export const STATUS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const MAX_DESCRIPTION_LENGTH = 10_000;

export function parseStatus(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!STATUS_PATTERN.test(value)) {
    throw new AppError('validation_failed', 'status must be 1-32 lowercase letters, digits, _ or -, e.g. raw or processed.');
  }
  return value;
}

export function parseDescription(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length > MAX_DESCRIPTION_LENGTH) {
    throw new AppError('validation_failed', `description is longer than ${MAX_DESCRIPTION_LENGTH} characters.`);
  }
  return value;
}
