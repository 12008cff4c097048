/**
 * Logging: pino JSON lines, with every credential and signature redacted before it is written.
 * The core only needs the small Logger interface below; pino's logger satisfies it.
 */
import pino, { type LoggerOptions } from 'pino';

export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** Query parameters that carry signatures or credentials in presigned and API-signed URLs. */
const SECRET_QUERY_PARAMS = /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|signature|apikey|token)=)[^&#\s"]*/gi;

/** Replaces signature values in any URL inside `text`. */
export function redactUrlSecrets(text: string): string {
  return text.replace(SECRET_QUERY_PARAMS, '$1[REDACTED]');
}

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers.apikey',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'password',
  'secretAccessKey',
  'serviceRoleKey',
  'config.storage.secretAccessKey',
  'config.metadata.serviceRoleKey',
  'config.metadata.url',
];

export function loggerOptions(options: { level: string; pretty: boolean }): LoggerOptions {
  return {
    level: options.level,
    redact: { paths: redactPaths, censor: '[REDACTED]' },
    serializers: {
      // Fastify logs { req: request } and { res: reply }: keep a few safe fields, URL signatures redacted.
      req: (request: { method?: string; url?: string; ip?: string; id?: string }) => ({
        method: request.method,
        url: request.url === undefined ? undefined : redactUrlSecrets(request.url),
        remoteAddress: request.ip,
      }),
      res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
      err: (error: Error) => {
        const serialized = pino.stdSerializers.err(error);
        if (typeof serialized.message === 'string') serialized.message = redactUrlSecrets(serialized.message);
        if (typeof serialized.stack === 'string') serialized.stack = redactUrlSecrets(serialized.stack);
        return serialized;
      },
    },
    ...(options.pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  };
}

export function createLogger(options: { level: string; pretty: boolean }, destination?: pino.DestinationStream) {
  return destination ? pino(loggerOptions({ ...options, pretty: false }), destination) : pino(loggerOptions(options));
}
