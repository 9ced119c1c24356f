// One error handler: every 4xx/5xx leaves in the request's API version shape with a clear message, and no
// internal detail (stack, SQL, paths) is ever sent. 5xx causes are logged with the request id.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiVersion } from '../../config.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../../lib/errors.js';
import { errorBody, serializeAs } from '../respond.js';
import { resolveVersion } from '../versioning.js';

function describeValidation(err: FastifyError): string {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const where =
    err.validationContext === 'querystring'
      ? 'query parameter'
      : err.validationContext === 'params'
        ? 'path parameter'
        : 'field';
  const path = (first.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties') {
    const name = path ? `${path}.${params.additionalProperty}` : params.additionalProperty;
    return `Unknown ${where} "${name}".`;
  }
  if (first.keyword === 'required') {
    const name = path ? `${path}.${params.missingProperty}` : params.missingProperty;
    return `Missing required ${where} "${name}".`;
  }
  if (first.keyword === 'enum') {
    return `Invalid ${where} "${path}": must be one of ${(params.allowedValues as unknown[]).join(', ')}.`;
  }
  const name = path || (err.validationContext === 'body' ? 'body' : where);
  return `Invalid ${where} "${name}": ${first.message}.`;
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { code?: string };
  if (fe?.validation) return new AppError('request_invalid', describeValidation(fe), { cause: err });
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is larger than this server accepts.', {
        cause: err,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Unsupported content type.', { cause: err });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('json_invalid', 'The request body is empty; send a JSON object.', { cause: err });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('request_invalid', 'Content-Length does not match the body.', { cause: err });
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = (Object.entries(ERROR_CODES).find(([, s]) => s === status)?.[0] ??
      'request_invalid') as ErrorCode;
    return new AppError(code, fe.message || 'Bad request.', { cause: err, status });
  }
  return new AppError(
    'internal_error',
    'Something went wrong on our side; the request id identifies it in the server log.',
    {
      cause: err,
    },
  );
}

export function sendError(req: FastifyRequest, reply: FastifyReply, err: AppError) {
  if (err.code === 'rate_limited' && !reply.getHeader('retry-after')) reply.header('retry-after', '1');
  // also replaces a success serializer that failed on this reply
  return serializeAs(req, reply.code(err.status), err.status).send(errorBody(req, err.code, err.message));
}

/**
 * Errors Fastify's router raises before any hook runs (a path segment over maxParamLength, a URL that does not
 * decode): the same shapes as every other error, in the version the request's headers ask for.
 */
export function frameworkErrors(defaultVersion: ApiVersion) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    req.apiVersion = resolveVersion(req.headers, defaultVersion);
    const appErr =
      err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new AppError('request_invalid', 'A path segment of the URL is too long.', {
            cause: err,
            status: 414,
          })
        : new AppError('request_invalid', 'The URL could not be decoded.', { cause: err });
    return sendError(req, reply, appErr);
  };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw, req, reply) => {
    const err = toAppError(raw);
    if (err.status >= 500) req.log.error({ err: err.cause ?? err, reqId: req.id }, 'request failed');
    return sendError(req, reply, err);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(
      req,
      reply,
      new AppError('route_not_found', `No route ${req.method} ${req.url.split('?')[0]}.`),
    ),
  );
}
