// The dashboard's only way to the server: the public API on the same origin, with the session cookie,
// the CSRF token on every change, and the {meta, data, error, links} envelope (Accept-Version 2025-07-01).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ListResult<T> {
  items: T[];
  total: number;
  next: string | null;
}

let csrfToken = '';
let onUnauthorized: (() => void) | undefined;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a request answers 401: the session has ended; the shell shows the sign-in page. */
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

type Json = Record<string, unknown> | unknown[] | null;

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  const headers: Record<string, string> = { 'accept-version': '2025-07-01', accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = null;
  try {
    json = text ? (JSON.parse(text) as Json) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && !path.startsWith('/auth/')) onUnauthorized?.();
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? res.statusText);
  }
  return json;
}

/** One object (the envelope's data). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const json = (await call(method, path, body)) as { data?: T } | null;
  return (json && 'data' in json ? json.data : json) as T;
}

/** A list page: items, the total the filter matches, and the next page's URL. */
export async function list<T>(path: string): Promise<ListResult<T>> {
  const json = (await call('GET', path)) as {
    data: T[];
    meta?: { total?: number };
    links?: { next?: string | null };
  };
  const next = json.links?.next ?? null;
  return {
    items: json.data ?? [],
    total: json.meta?.total ?? json.data?.length ?? 0,
    // links are absolute; the dashboard stays on its own origin
    next: next ? new URL(next, location.origin).pathname + new URL(next, location.origin).search : null,
  };
}

export function qs(params: Record<string, string | number | undefined | null | false>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '' && v !== false) u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
