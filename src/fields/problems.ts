/**
 * How a broken field rule becomes an answer: every rule is a zod schema, and a failed parse
 * becomes one AppError with a stable code, whether the values came from a multipart form, a
 * JSON body or a direct-upload target. Rules that need a code other than validation_failed
 * (invalid_name, invalid_json_field, …) raise custom issues carrying it in `params.code`.
 */
import { z } from 'zod';
import { AppError, type ErrorCode } from '../errors.ts';

/** The code a custom issue asks for. */
export interface IssueParams {
  code: ErrorCode;
  details?: Record<string, unknown>;
}

/** Adds a custom issue that parseFields (and the HTTP layer) answer with `code`. */
export function addProblem(ctx: z.RefinementCtx, error: AppError): void {
  ctx.addIssue({ code: 'custom', message: error.message, params: { code: error.code, details: error.details } });
}

/** A string that passes `test`, documented by `pattern` in OpenAPI, refused with `code`. */
export function matching(
  rule: { pattern: RegExp; test?: (value: string) => boolean; message: string },
  code: ErrorCode = 'validation_failed',
) {
  const test = rule.test ?? ((value: string) => rule.pattern.test(value));
  return z
    .string()
    .superRefine((value, ctx) => {
      if (!test(value)) ctx.addIssue({ code: 'custom', message: rule.message, params: { code } });
    })
    .meta({ pattern: rule.pattern.source });
}

/** The values parsed by `schema`, or the AppError of its first broken rule. */
export function parseFields<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const result = schema.safeParse(values, { reportInput: true });
  if (result.success) return result.data;
  throw problemOf(result.error.issues[0] as z.core.$ZodIssue);
}

/** One issue as the AppError it stands for. */
export function problemOf(issue: z.core.$ZodIssue): AppError {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'custom') {
    const params = issue.params as Partial<IssueParams> | undefined;
    if (params?.code) return new AppError(params.code, issue.message, params.details ? { details: params.details } : undefined);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined && field) {
    return new AppError('missing_field', `The field "${field}" is required.`, { details: { field } });
  }
  if (issue.code === 'unrecognized_keys') {
    return new AppError('validation_failed', `Unknown field(s): ${issue.keys.join(', ')}.`);
  }
  return new AppError('validation_failed', field ? `${field}: ${issue.message}.` : `${issue.message}.`, {
    details: { field },
  });
}
