/** JSON-valued form fields (metrics, params, summary): objects only, with clear errors naming the field. */
import { AppError } from '../errors.ts';

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
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('invalid_json_field', `${field} must be a JSON object, like {"key": 1}.`, { details: { field } });
  }
  return value as Record<string, unknown>;
}

export const METRIC_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A metrics object: names of up to 64 safe characters, every value a finite number. */
export function validateMetrics(field: string, value: Record<string, unknown>): Record<string, number> {
  for (const [name, metric] of Object.entries(value)) {
    if (!METRIC_NAME.test(name)) {
      throw new AppError(
        'invalid_json_field',
        `${field}: the metric name ${JSON.stringify(name)} is not allowed (1-64 of A-Z a-z 0-9 _ . -).`,
        {
          details: { field },
        },
      );
    }
    if (typeof metric !== 'number' || !Number.isFinite(metric)) {
      throw new AppError('invalid_json_field', `${field}: ${name} must be a number, not ${JSON.stringify(metric)}.`, {
        details: { field },
      });
    }
  }
  return value as Record<string, number>;
}
