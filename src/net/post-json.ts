// One JSON POST to a user-given URL (webhooks, and next, http workflow steps) under the same SSRF rules as
// URL ingest: resolve once, refuse non-public addresses unless allowed, connect only to the vetted address,
// never follow redirects, a time limit for the answer, and the response body drained briefly and thrown away.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { describeNetError, FetchError, vetForRequest } from './safe-fetch.js';

export interface PostOptions {
  /** default POST */
  method?: string;
  allowPrivate: boolean;
  timeoutMs: number;
  userAgent: string;
  /** names the URL in error messages, e.g. "The webhook URL" */
  what: string;
  /**
   * TEST-ONLY: extra CA certificates to trust for HTTPS receivers (a self-signed test server). Certificate
   * verification itself is never turned off.
   */
  ca?: string | Buffer;
}

export interface PostOutcome {
  statusCode: number | null;
  /** null on a 2xx */
  error: string | null;
  /** true when retrying cannot help (the URL is invalid or forbidden) */
  permanent: boolean;
}

/** a receiver that keeps streaming a response body after its status line is cut off after this */
const DRAIN_MS = 2_000;

/** Attempts that fail this way would fail the same way again. */
export function isPermanentUrlError(err: unknown): boolean {
  return err instanceof FetchError && (err.code === 'url_invalid' || err.code === 'url_forbidden');
}

/** Resolves (never rejects, but for internal faults) with the status code or the reason it failed. */
export async function postJson(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  opts: PostOptions,
): Promise<PostOutcome> {
  let target: Awaited<ReturnType<typeof vetForRequest>>;
  try {
    target = await vetForRequest(rawUrl, { allowPrivate: opts.allowPrivate }, opts.what);
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    const hint =
      err.code === 'url_forbidden' && !opts.allowPrivate
        ? ' (MEDIARY_ALLOW_PRIVATE_URLS=true allows private addresses for local development)'
        : '';
    return { statusCode: null, error: err.message + hint, permanent: isPermanentUrlError(err) };
  }
  const { url, host, lookup } = target;
  const secure = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: opts.method ?? 'POST',
    hostname: host,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': opts.userAgent,
      ...headers,
    },
    // a fresh connection per attempt: no pooled socket made under other rules is reused
    agent: false,
    lookup,
  };
  if (secure) {
    options.rejectUnauthorized = true;
    if (opts.ca) options.ca = opts.ca;
    if (isIP(host) === 0) options.servername = host;
  }
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    let timedOut = false;
    const finish = (o: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = (secure ? https : http).request(options);
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
      finish({ statusCode: null, error: `no response within ${opts.timeoutMs} ms`, permanent: false });
    }, opts.timeoutMs);
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      // the status line is the answer; the body is read and thrown away, for a short while at most
      const drain = setTimeout(() => res.destroy(), DRAIN_MS);
      res.on('error', () => {});
      res.on('close', () => clearTimeout(drain));
      res.resume();
      let error: string | null = null;
      if (status >= 300 && status <= 399) error = `HTTP ${status}: redirects are not followed`;
      else if (status < 200 || status > 299) error = `HTTP ${status}`;
      finish({ statusCode: status, error, permanent: false });
    });
    req.on('error', (err) => {
      if (timedOut) return;
      finish({ statusCode: null, error: describeNetError(err), permanent: false });
    });
    req.end(body);
  });
}
