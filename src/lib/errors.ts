// One error type for the whole server; the HTTP error handler renders it in the request's API version.
// `message` is public (shown to API users); `cause` is internal (logged, never sent).

export const ERROR_CODES = {
  request_invalid: 400,
  json_invalid: 400,
  option_invalid: 400,
  kind_unknown: 400,
  url_required: 400,
  url_invalid: 400,
  url_forbidden: 400,
  url_unreachable: 400,
  url_timeout: 400,
  url_http_error: 400,
  url_too_many_redirects: 400,
  media_unsupported: 400,
  media_corrupt: 400,
  media_too_large: 400,
  signature_invalid: 400,
  token_missing: 401,
  token_invalid: 401,
  forbidden: 403,
  signature_rejected: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  upload_conflict: 409,
  upload_gone: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code];
  }
}

export function notFound(what: string, id: string): AppError {
  return new AppError(
    'not_found',
    `${what} ${id} was not found. Check the id, and that the API key belongs to the project that owns it.`,
  );
}

export function invalid(message: string): AppError {
  return new AppError('request_invalid', message);
}
