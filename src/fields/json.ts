/**
 * JSON-valued fields (metrics, params, summary), from a form or a PATCH body: objects only,
 * bounded in depth and size, with clear errors naming the field. Whatever passes here can be
 * stored, returned and serialized by every layer: nothing is committed that cannot be served.
 */
import { z } from 'zod';
import { AppError, isAppError } from '../errors.ts';
import { textProblem } from '../text-input.ts';
import { addProblem } from './problems.ts';

/** Nesting deeper than this is refused (a response serializer recurses once per level). */
export const MAX_JSON_DEPTH = 32;
/** Keys and array elements in one field, all levels together. */
export const MAX_JSON_NODES = 10_000;
/** Keys that JavaScript objects treat specially: stored, they would vanish from responses. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseJsonObject(field: string, raw: string | undefined, maxBytes?: number): Record<string, unknown> {
  if (raw === undefined) return {};
  if (maxBytes !== undefined && Buffer.byteLength(raw, 'utf8') > maxBytes) {
    throw new AppError('field_too_large', `${field} is larger than ${maxBytes} bytes.`, { details: { field, maxBytes } });
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError('invalid_json_field', `${field} is not valid JSON.`, { details: { field } });
  }
  return checkJsonObject(field, value);
}

/** A JSON object within the bounds above, with no reserved keys and only text that can be stored exactly. */
export function checkJsonObject(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(field, 'must be a JSON object, like {"key": 1}');
  }
  let nodes = 0;
  // Iterative, so the check itself cannot overflow the stack it protects.
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) throw invalid(field, `has a string that ${problem}`);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw invalid(field, `is nested more than ${MAX_JSON_DEPTH} levels deep`);
    const entries = Array.isArray(current) ? current.map((item) => ['', item] as const) : Object.entries(current);
    nodes += entries.length;
    if (nodes > MAX_JSON_NODES) throw invalid(field, `has more than ${MAX_JSON_NODES} keys and elements`);
    for (const [key, item] of entries) {
      if (RESERVED_KEYS.has(key)) throw invalid(field, `uses the reserved key ${JSON.stringify(key)}`);
      const problem = textProblem(key);
      if (problem) throw invalid(field, `has a key that ${problem}`);
      stack.push({ value: item, depth: depth + 1 });
    }
  }
  return value as Record<string, unknown>;
}

function invalid(field: string, problem: string, subject = field): AppError {
  return new AppError('invalid_json_field', `${subject} ${problem}.`, { details: { field } });
}

export const METRIC_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A metrics object: names of up to 64 safe characters, every value a finite number. */
export function validateMetrics(field: string, value: Record<string, unknown>): Record<string, number> {
  checkJsonObject(field, value);
  for (const [name, metric] of Object.entries(value)) {
    if (!METRIC_NAME.test(name)) {
      throw invalid(field, `has a metric name that is not allowed, ${JSON.stringify(name)} (1-64 of A-Z a-z 0-9 _ . -)`);
    }
    if (typeof metric === 'number' && !Number.isFinite(metric)) {
      throw invalid(field, 'is out of range: metrics are finite numbers (at most about ±1.8e308)', `${field}.${name}`);
    }
    if (typeof metric !== 'number') {
      throw invalid(field, `must be a number, not ${JSON.stringify(metric)}`, `${field}.${name}`);
    }
  }
  return value as Record<string, number>;
}

type ObjectRule<T> = (value: Record<string, unknown>) => T;

/** Runs `rule`, turning the AppError it throws into an issue carrying its code. */
function asIssue<T>(ctx: z.RefinementCtx, run: () => T): T | typeof z.NEVER {
  try {
    return run();
  } catch (error) {
    if (!isAppError(error)) throw error;
    addProblem(ctx, error);
    return z.NEVER;
  }
}

/** A JSON object sent as a value (PATCH bodies, direct-upload targets). */
export function jsonObject<T extends Record<string, unknown>>(
  field: string,
  rule: ObjectRule<T> = (value) => checkJsonObject(field, value) as T,
) {
  return z.record(z.string(), z.unknown()).transform((value, ctx) => asIssue(ctx, () => rule(value)));
}

/** The same object sent as JSON text in a multipart form field. */
export function jsonText<T extends Record<string, unknown>>(
  field: string,
  rule: ObjectRule<T> = (value) => value as T,
  maxBytes?: number,
) {
  return z.string().transform((raw, ctx) => asIssue(ctx, () => rule(parseJsonObject(field, raw, maxBytes))));
}

/** Rule of `metrics`: an object of finite numbers with safe names. */
export const metricsRule: ObjectRule<Record<string, number>> = (value) => validateMetrics('metrics', value);
