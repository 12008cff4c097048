/**
 * Field rules shared by every resource, written once: the zod schemas here validate multipart
 * forms, JSON bodies and direct-upload targets, and generate their OpenAPI forms.
 */
import { z } from 'zod';
import { matching } from './problems.ts';

export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const uuid = z.string().regex(UUID_PATTERN, 'must be a uuid').meta({ format: 'uuid' });

/** Lowercase names that become parts of object keys (model names, methods). */
export const KEY_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const MAX_DESCRIPTION_LENGTH = 10_000;
export const description = z
  .string()
  .max(MAX_DESCRIPTION_LENGTH, `must be at most ${MAX_DESCRIPTION_LENGTH} characters`)
  .describe(`At most ${MAX_DESCRIPTION_LENGTH} characters.`);

export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _.:-]{0,63}$/u;
export const MAX_TAGS = 50;

/** Tags from repeated fields and/or comma-separated values: trimmed, unique, validated. */
export const tags = z
  .array(z.string())
  .transform((values) => [
    ...new Set(
      values
        .flatMap((value) => value.split(','))
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ])
  .pipe(
    z
      .array(matching({ pattern: TAG_PATTERN, message: 'A tag is not allowed: use 1-64 letters, digits, spaces or _ . : -.' }))
      .max(MAX_TAGS, `at most ${MAX_TAGS} tags are allowed`),
  )
  .describe('Repeat the field or separate with commas; each 1-64 letters, digits, spaces or _ . : -.');

export const STATUS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const status = matching({
  pattern: STATUS_PATTERN,
  message: 'status must be 1-32 lowercase letters, digits, _ or -, e.g. raw or processed.',
}).describe('Your label, e.g. raw or processed.');

/** A dataset named by id or by name, as in the URLs. */
export const datasetRef = z.string().min(1).max(100).describe('Dataset id or name.');

/**
 * Alias names: a letter, then lowercase letters, digits, - or _. Reserved: `latest` (the newest
 * version itself) and `importances` (GET /datasets/{d}/models/{name}/importances).
 */
const RESERVED_ALIASES = new Set(['latest', 'importances']);
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const aliasName = matching(
  {
    pattern: ALIAS_PATTERN,
    test: (value) => ALIAS_PATTERN.test(value) && !RESERVED_ALIASES.has(value),
    message: 'An alias is 1-64 lowercase letters, digits, - or _, starting with a letter; latest and importances are reserved.',
  },
  'invalid_alias',
).meta({ example: 'production' });

/** A version named as URLs and upload fields name it: its number, `latest` or an alias. */
export const VERSION_REF_PATTERN = /^(?:[1-9][0-9]{0,8}|[a-z][a-z0-9_-]{0,63})$/;
export const versionRef = matching(
  { pattern: VERSION_REF_PATTERN, message: 'A version is its number, latest or an alias.' },
  'invalid_version',
).describe('A version number, latest, or an alias.');

/** The same in a JSON body, where a number may also come as a number. */
export const versionRefValue = z
  .union([z.number().int().min(1).max(999_999_999), versionRef])
  .transform((value) => String(value))
  .describe('A version number, latest, or an alias.');
