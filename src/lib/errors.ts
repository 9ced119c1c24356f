// One error type for the whole server and one catalogue of its codes. Each code has the HTTP status the API
// answers with and whether another attempt could succeed: the task engine, ingest and the webhook sender
// all decide "retry or give up" from this table, never from lists of their own.
// `message` is public (shown to API users); `cause` is internal (logged, never sent).

interface CodeInfo {
  status: number;
  /** true when the same work may succeed if tried again later (network, a tool crash, overload) */
  retryable: boolean;
}

const c = (status: number, retryable = false): CodeInfo => ({ status, retryable });

export const ERROR_CATALOGUE = {
  request_invalid: c(400),
  json_invalid: c(400),
  option_invalid: c(400),
  kind_unknown: c(400),
  url_required: c(400),
  url_invalid: c(400),
  url_forbidden: c(400),
  url_unreachable: c(400, true),
  url_timeout: c(400, true),
  /** retryable per instance: a 5xx, 408 or 429 from the remote server is worth another try */
  url_http_error: c(400),
  url_too_many_redirects: c(400),
  media_unsupported: c(400),
  media_corrupt: c(400),
  media_too_large: c(400),
  signature_invalid: c(400),
  token_missing: c(401),
  token_invalid: c(401),
  /** sign-in: unknown email or wrong password (one answer for both) */
  credentials_invalid: c(401),
  /** a session route without a live session (none, signed out, expired) */
  session_missing: c(401),
  /** a session request that is cross-origin, or unsafe without the session's X-CSRF-Token */
  csrf_failed: c(403),
  forbidden: c(403),
  signature_rejected: c(403),
  not_found: c(404),
  route_not_found: c(404),
  method_not_allowed: c(405),
  conflict: c(409),
  upload_conflict: c(409),
  upload_gone: c(410),
  precondition_failed: c(412),
  payload_too_large: c(413),
  range_not_satisfiable: c(416),
  unsupported_media_type: c(415),
  /** Idempotency-Key: the first request with this key is still running */
  idempotency_key_in_use: c(409, true),
  /** Idempotency-Key: the key was used with another request */
  idempotency_key_reused: c(422),
  rate_limited: c(429, true),
  /** a media tool (ffmpeg, ffprobe) exited with an error */
  ffmpeg_failed: c(500, true),
  /** a media tool made no progress for too long and was stopped */
  stalled: c(500, true),
  /** a media tool ran past its time limit */
  timeout: c(500, true),
  /** the work was stopped (cancel, shutdown): no verdict on the input, so the worker decides what follows */
  cancelled: c(409, true),
  /** a media tool is not installed or not executable */
  tool_missing: c(500, true),
  /** an intelligence kind whose provider (speech, LLM, nsfw) this server has not configured */
  provider_not_configured: c(400),
  /** the AI provider could not be reached, timed out or answered 429/5xx after the retries */
  provider_unavailable: c(503, true),
  /** the AI provider answered, but not with what was asked for (garbage, refusal, wrong shape) */
  provider_invalid_response: c(502),
  /** the provider refused the request (401/403/404/400: key, model name, payload): config, not chance */
  provider_rejected: c(502),
  /** a task used up its request cap on the AI provider (MEDIARY_AI_MAX_REQUESTS) */
  provider_budget_exceeded: c(500),
  internal_error: c(500, true),
  unavailable: c(503, true),
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** code → HTTP status, for the HTTP error handler. */
export const ERROR_CODES = Object.fromEntries(
  Object.entries(ERROR_CATALOGUE).map(([code, info]) => [code, info.status]),
) as { readonly [K in ErrorCode]: number };

export interface AppErrorOptions {
  cause?: unknown;
  status?: number;
  /** overrides the catalogue for this instance (e.g. url_http_error after a 503) */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? ERROR_CATALOGUE[code].status;
    this.retryable = options.retryable ?? ERROR_CATALOGUE[code].retryable;
  }
}

export function isRetryable(code: ErrorCode): boolean {
  return ERROR_CATALOGUE[code].retryable;
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
