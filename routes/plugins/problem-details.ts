/**
 * RFC 9457 problem details for every error, in one place: domain error kinds map to status
 * codes here and nowhere else. Bodies carry a stable `code` and the request id, never a stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorKind } from '../../src/errors.ts';
import type { IssueParams } from '../../src/fields/problems.ts';
import { lingerOnRefusal } from '../http/linger.ts';

export const statusByKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  timeout: 408,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 5;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  requestId: string;
  [extra: string]: unknown;
}

/** Errors raised by Fastify itself and its plugins, by their code. */
export const frameworkErrors: Record<string, { status: number; code: string; detail?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'Not a Content-Type of this route.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', detail: 'The request body is larger than allowed.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'validation_failed', detail: 'The body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'validation_failed', detail: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'validation_failed', detail: 'Content-Length is not the body size.' },
  FST_PARTS_LIMIT: { status: 413, code: 'too_many_parts', detail: 'The form has more parts than allowed.' },
  FST_FILES_LIMIT: { status: 413, code: 'too_many_parts', detail: 'The form has more files than allowed.' },
  FST_FIELDS_LIMIT: { status: 413, code: 'too_many_parts', detail: 'The form has more fields than allowed.' },
  FST_PROTO_VIOLATION: { status: 400, code: 'malformed_multipart', detail: 'A form field name is not allowed.' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', detail: 'Send multipart/form-data.' },
  FST_ERR_VALIDATION: { status: 400, code: 'validation_failed' },
  // Router errors (through Fastify's frameworkErrors option); the URL is never echoed back.
  FST_ERR_BAD_URL: { status: 400, code: 'malformed_request', detail: 'The URL has an invalid percent-encoding.' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'url_too_long', detail: 'A path segment is longer than any name or id (100).' },
};

export const statusTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemFor(error: unknown, requestId: string): Problem {
  const make = (status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem => ({
    type: 'about:blank',
    title: statusTitles[status] ?? 'Error',
    status,
    code,
    detail,
    requestId,
    ...extra,
  });
  if (error instanceof AppError) return make(statusByKind[error.kind], error.code, error.message, error.details ?? {});
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    // A field rule that names its own code (invalid_name, invalid_json_field, …) answers with it,
    // as it does when the same rule checks a multipart form in the core.
    const ruled = fastifyError.validation.find((issue) => (issue.params as { params?: IssueParams }).params?.code);
    if (ruled) {
      const { code, details } = (ruled.params as { params: IssueParams }).params;
      const error = new AppError(code, ruled.message ?? code, details ? { details } : undefined);
      return make(statusByKind[error.kind], error.code, error.message, error.details ?? {});
    }
    const issues = fastifyError.validation.map((issue) => ({
      in: fastifyError.validationContext,
      path: issue.instancePath,
      message: issue.message,
    }));
    return make(
      400,
      'validation_failed',
      `Invalid ${fastifyError.validationContext ?? 'request'}: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  const known = fastifyError?.code ? frameworkErrors[fastifyError.code] : undefined;
  if (known) return make(known.status, known.code, known.detail ?? fastifyError.message);
  if (isBusboyError(error))
    return make(400, 'malformed_multipart', `The multipart body is malformed: ${(error as Error).message}.`);
  const status = fastifyError?.statusCode;
  if (status && status >= 400 && status < 500) {
    return make(
      status,
      status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : 'validation_failed',
      fastifyError.message,
    );
  }
  return make(500, 'internal_error', 'Something went wrong on our side; the request id identifies it in our logs.');
}

/** busboy (under @fastify/multipart) throws plain Errors for broken bodies. */
function isBusboyError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /Unexpected end of (form|multipart)|Malformed part header|Boundary not found|Multipart: |Malformed urlencoded form/i.test(
    error.message,
  );
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 503) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  if (problem.status === 429 && !reply.hasHeader('retry-after')) {
    reply.header('retry-after', String((problem.retryAfterSeconds as number | undefined) ?? RETRY_AFTER_SECONDS));
  }
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** Fastify's `frameworkErrors` option: errors raised before routing (a bad URL) answer like every other. */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = problemFor(error, request.id);
  request.log.info({ code: problem.code, status: problem.status }, 'request refused');
  reply.header('x-request-id', request.id);
  sendProblem(reply, problem);
}

async function problemDetails(app: FastifyInstance) {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const problem = problemFor(error, request.id);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status, err: error }, 'request refused');
    // Refused before the body was read: close, but linger so that the client sees this answer.
    if (!request.raw.complete) {
      reply.header('connection', 'close');
      lingerOnRefusal(request.raw);
    }
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemFor(new AppError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`), request.id),
    ),
  );
}

export default fp(problemDetails, { name: 'problem-details' });
