// SSRF-safe download of a user-given URL to a local file. Every hop (the URL and each redirect target) is
// parsed, checked by scheme, credentials and host name, resolved once, and refused when any resolved address
// is non-public (see ip-policy.ts). The connection then goes to exactly the vetted addresses (a pinned
// `lookup`), so DNS rebinding between check and connect is impossible. Bytes, wall-clock time and idle time
// are capped; the body streams to disk and the file is removed on any failure.

import { promises as dns, type LookupAddress } from 'node:dns';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isForbiddenAddress } from './ip-policy.js';

export { isForbiddenAddress } from './ip-policy.js';

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  idleMs: number;
  maxRedirects: number;
}

/**
 * TEST-ONLY hooks. Production code must never set these: they replace the DNS resolver and the address
 * policy so tests can give loopback servers "public" names. The connection is still pinned to whatever
 * `resolve` returned.
 */
export interface NetTestHooks {
  /** Replaces `dns.promises.lookup(host, {all: true})`; returns IP literals. Not called for IP-literal hosts. */
  resolve?: (hostname: string) => Promise<string[]>;
  /** Replaces `isForbiddenAddress`; only consulted when `allowPrivate` is false. */
  isForbidden?: (ip: string, hostname: string) => boolean;
}

export interface CheckOptions extends NetTestHooks {
  /** Disables only the address checks (local development and tests). */
  allowPrivate: boolean;
}

export interface FetchOptions extends FetchLimits, NetTestHooks {
  allowPrivate: boolean;
  /** Default true. Set false only in tests (self-signed certificates). */
  rejectUnauthorized?: boolean;
  userAgent?: string;
  /** Aborting rejects with `signal.reason` (not a FetchError) and removes the partial file. */
  signal?: AbortSignal;
}

export interface FetchResult {
  path: string;
  size: number;
  finalUrl: string;
  contentType: string | null;
  /** From Content-Disposition, else the last path segment of the final URL; decoded, no directory parts. */
  filenameHint: string | null;
}

export type FetchErrorCode =
  | 'url_invalid'
  | 'url_forbidden'
  | 'url_unreachable'
  | 'url_timeout'
  | 'url_too_large'
  | 'url_http_error'
  | 'url_too_many_redirects';

/** Its message is safe to show to the API user (it never names addresses the user did not give). */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly code: FetchErrorCode;
  readonly status?: number;

  constructor(code: FetchErrorCode, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_URL_LENGTH = 8192;
const DEFAULT_USER_AGENT = 'mediary';

/** Cloud metadata endpoints, refused by name whatever they resolve to (even with allowPrivate). */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

interface VettedUrl {
  url: URL;
  /** hostname without IPv6 brackets or trailing dots */
  host: string;
  addresses: LookupAddress[];
}

function parseUrl(raw: string, what: string): URL {
  if (typeof raw !== 'string' || raw.length === 0) throw new FetchError('url_invalid', `${what} is empty.`);
  if (raw.length > MAX_URL_LENGTH) {
    throw new FetchError('url_invalid', `${what} is longer than ${MAX_URL_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError('url_invalid', `${what} is not a valid absolute URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError(
      'url_invalid',
      `${what} uses the unsupported scheme "${url.protocol}"; only http and https are allowed.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new FetchError('url_forbidden', `${what} must not contain credentials (user:password@).`);
  }
  if (url.hostname === '') throw new FetchError('url_invalid', `${what} has no host.`);
  return url;
}

function bareHost(url: URL): string {
  let h = url.hostname;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

async function resolveHost(host: string, hooks: NetTestHooks): Promise<string[]> {
  if (hooks.resolve) return hooks.resolve(host);
  const found = await dns.lookup(host, { all: true });
  return found.map((a) => a.address);
}

/** Parses and checks one hop; resolves its host once. Throws FetchError. */
async function vetUrl(raw: string, opts: CheckOptions, what: string): Promise<VettedUrl> {
  const url = parseUrl(raw, what);
  const host = bareHost(url);
  const name = host.toLowerCase().replace(/\.+$/, '');
  if (METADATA_HOSTS.has(name)) {
    throw new FetchError(
      'url_forbidden',
      `${what} points to a cloud metadata host (${name}), which is not allowed.`,
    );
  }
  const literal = isIP(host) !== 0;
  if (
    !opts.allowPrivate &&
    !literal &&
    (name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.internal'))
  ) {
    throw new FetchError(
      'url_forbidden',
      `${what} points to a local or internal host (${name}), which is not allowed.`,
    );
  }
  let ips: string[];
  if (literal) {
    ips = [host];
  } else {
    try {
      ips = await resolveHost(host, opts);
    } catch (err) {
      throw new FetchError('url_unreachable', `Could not resolve the host ${name}.`, { cause: err });
    }
    if (ips.length === 0) throw new FetchError('url_unreachable', `Could not resolve the host ${name}.`);
  }
  const addresses: LookupAddress[] = [];
  for (const ip of ips) {
    const family = isIP(ip);
    if (family === 0) throw new FetchError('url_unreachable', `Could not resolve the host ${name}.`);
    if (!opts.allowPrivate && (opts.isForbidden ? opts.isForbidden(ip, host) : isForbiddenAddress(ip))) {
      // Name only what the user gave us: a literal is theirs, a resolved address is not.
      throw new FetchError(
        'url_forbidden',
        literal
          ? `${what} points to a non-public address (${url.hostname}), which is not allowed.`
          : `${what} host ${name} resolves to a non-public address, which is not allowed.`,
      );
    }
    addresses.push({ address: ip, family });
  }
  return { url, host, addresses };
}

/**
 * Validates a URL without downloading it: scheme, credentials, host name, and (unless allowPrivate) that
 * every address it resolves to is public. Throws FetchError (url_invalid, url_forbidden, url_unreachable).
 */
export async function checkUrl(url: string, opts: CheckOptions): Promise<void> {
  await vetUrl(url, opts, 'The URL');
}

/**
 * checkUrl for callers that make their own request (webhook delivery): returns the parsed URL, the bare host
 * and a `lookup` pinned to the vetted addresses, so the connection cannot be rebound to another address.
 */
export async function vetForRequest(
  raw: string,
  opts: CheckOptions,
  what = 'The URL',
): Promise<{ url: URL; host: string; lookup: LookupFunction }> {
  const v = await vetUrl(raw, opts, what);
  return { url: v.url, host: v.host, lookup: pinnedLookup(v.addresses) };
}

/** A `lookup` for http.request that only ever returns the vetted addresses. */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const list = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
    if (list.length === 0) {
      const err: NodeJS.ErrnoException = new Error('No vetted address for the requested family');
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
      return;
    }
    if (options.all) callback(null, list);
    else callback(null, list[0]!.address, list[0]!.family);
  };
}

/** A network error in words a webhook or ingest user can act on; never an address they didn't give. */
export function describeNetError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was reset';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host is unreachable';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host could not be resolved';
    default:
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return `the TLS certificate check failed (${code})`;
      if (/ERR_TLS|ERR_SSL|SSL/.test(code)) return `the TLS handshake failed (${code})`;
      if (code.startsWith('HPE_')) return `the server sent an invalid HTTP response (${code})`;
      return code ? `the connection failed (${code})` : 'the connection failed';
  }
}

/** Resettable single timer. */
class Timer {
  private handle: NodeJS.Timeout | undefined;
  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
  ) {}
  reset(): void {
    this.stop();
    this.handle = setTimeout(this.fire, this.ms);
  }
  stop(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Issues the GET for one vetted hop and resolves with the response head. */
function request(
  target: VettedUrl,
  opts: FetchOptions,
  signal: AbortSignal,
  idle: Timer,
): Promise<IncomingMessage> {
  const { url, host } = target;
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      method: 'GET',
      protocol: url.protocol,
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: {
        'user-agent': opts.userAgent ?? DEFAULT_USER_AGENT,
        accept: '*/*',
        'accept-encoding': 'identity',
      },
      // A one-off agent: no pooled socket (connected under other rules) is ever reused.
      agent: false,
      lookup: pinnedLookup(target.addresses),
      signal,
    };
    if (secure) {
      options.rejectUnauthorized = opts.rejectUnauthorized ?? true;
      if (isIP(host) === 0) options.servername = host;
    }
    const req = (secure ? https : http).request(options);
    let settled = false;
    req.on('response', (res) => {
      settled = true;
      idle.reset();
      resolve(res);
    });
    req.on('error', (err) => {
      if (settled) return; // after the head, errors surface on the response stream
      settled = true;
      reject(
        new FetchError('url_unreachable', `Could not fetch from ${url.hostname}: ${describeNetError(err)}.`, {
          cause: err,
        }),
      );
    });
    idle.reset();
    req.end();
  });
}

function discard(res: IncomingMessage): void {
  res.on('error', () => {});
  res.destroy();
}

/**
 * Downloads `url` into `destPath` (created or truncated) under the SSRF rules and limits above, following up
 * to `maxRedirects` redirects, each re-checked. On any failure `destPath` is removed and a FetchError is
 * thrown (or `signal.reason` when the caller aborted; local file-system errors are rethrown as they are).
 */
export async function fetchToFile(url: string, destPath: string, opts: FetchOptions): Promise<FetchResult> {
  checkLimits(opts);
  const ctrl = new AbortController();
  const total = setTimeout(
    () =>
      ctrl.abort(new FetchError('url_timeout', `The download did not finish within ${opts.timeoutMs} ms.`)),
    opts.timeoutMs,
  );
  const idle = new Timer(opts.idleMs, () =>
    ctrl.abort(new FetchError('url_timeout', `The server sent no data for ${opts.idleMs} ms.`)),
  );
  const outer = opts.signal;
  const onOuterAbort = () => ctrl.abort(outer?.reason);
  if (outer?.aborted) ctrl.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  let fileError: unknown;
  let file: WriteStream | undefined;
  try {
    if (ctrl.signal.aborted) throw ctrl.signal.reason;
    let current = url;
    let redirects = 0;
    let what = 'The URL';
    for (;;) {
      const target = await raceAbort(vetUrl(current, opts, what), ctrl.signal);
      const res = await request(target, opts, ctrl.signal, idle);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        discard(res);
        idle.stop();
        if (redirects >= opts.maxRedirects) {
          throw new FetchError(
            'url_too_many_redirects',
            `The URL redirected more than ${opts.maxRedirects} times.`,
          );
        }
        redirects++;
        try {
          current = new URL(location, target.url).href;
        } catch {
          throw new FetchError('url_invalid', 'The URL redirected to an invalid location.');
        }
        what = 'A redirect target';
        continue;
      }
      if (status < 200 || status > 299) {
        discard(res);
        throw new FetchError('url_http_error', `The URL responded with HTTP status ${status}.`, { status });
      }
      const declared = parseContentLength(res.headers['content-length']);
      if (declared !== null && declared > opts.maxBytes) {
        discard(res);
        throw tooLarge(opts.maxBytes);
      }

      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          size += chunk.length;
          if (size > opts.maxBytes) {
            cb(tooLarge(opts.maxBytes));
            return;
          }
          idle.reset();
          cb(null, chunk);
        },
      });
      file = createWriteStream(destPath, { flags: 'w' });
      file.on('error', (err) => {
        fileError ??= err;
      });
      try {
        await pipeline(res, counter, file, { signal: ctrl.signal });
      } catch (err) {
        if (ctrl.signal.aborted || err instanceof FetchError || err === fileError) throw err;
        throw new FetchError(
          'url_unreachable',
          `The connection to ${target.url.hostname} was lost before the download finished.`,
          { cause: err },
        );
      }
      idle.stop();
      if (declared !== null && res.headers['content-encoding'] === undefined && size !== declared) {
        throw new FetchError('url_unreachable', `The download from ${target.url.hostname} was incomplete.`);
      }
      return {
        path: destPath,
        size,
        finalUrl: target.url.href,
        contentType: headerValue(res.headers['content-type']),
        filenameHint:
          filenameFromContentDisposition(headerValue(res.headers['content-disposition'])) ??
          filenameFromUrl(target.url),
      };
    }
  } catch (err) {
    const out = ctrl.signal.aborted ? ctrl.signal.reason : err;
    if (!ctrl.signal.aborted) ctrl.abort(out); // tear down anything still open
    if (file && !file.closed) {
      // let a pending open()/write finish closing first, so the file cannot reappear after the rm
      const closing = new Promise<void>((resolve) => file?.once('close', () => resolve()));
      file.destroy();
      await closing;
    }
    await rm(destPath, { force: true }).catch(() => {});
    throw out;
  } finally {
    clearTimeout(total);
    idle.stop();
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

function checkLimits(opts: FetchLimits): void {
  const ok = (v: number, min: number) => typeof v === 'number' && Number.isFinite(v) && v >= min;
  if (!ok(opts.maxBytes, 0)) throw new RangeError('maxBytes must be a finite number >= 0');
  if (!ok(opts.timeoutMs, 1)) throw new RangeError('timeoutMs must be a finite number >= 1');
  if (!ok(opts.idleMs, 1)) throw new RangeError('idleMs must be a finite number >= 1');
  if (!ok(opts.maxRedirects, 0) || !Number.isInteger(opts.maxRedirects)) {
    throw new RangeError('maxRedirects must be an integer >= 0');
  }
}

function tooLarge(maxBytes: number): FetchError {
  return new FetchError('url_too_large', `The content is larger than the limit of ${maxBytes} bytes.`);
}

function parseContentLength(v: string | undefined): number | null {
  if (v === undefined || !/^\d+$/.test(v.trim())) return null;
  return Number(v.trim());
}

function headerValue(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? null : s;
}

/** Keeps the last path component, drops control characters; null when nothing usable is left. */
function cleanFilename(name: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const base = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (base === '' || base === '.' || base === '..') return null;
  return base.length > 255 ? base.slice(0, 255) : base;
}

/** Node reads header bytes as latin1; re-decode raw UTF-8 file names when that is what they were. */
function latin1ToUtf8(s: string): string {
  if (!/[\u0080-\u00ff]/.test(s) || /[\u0100-\uffff]/.test(s)) return s;
  const decoded = Buffer.from(s, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? s : decoded;
}

/** Parses `filename*=` (RFC 5987/6266, preferred) or `filename=` from a Content-Disposition value. */
export function filenameFromContentDisposition(header: string | null): string | null {
  if (!header) return null;
  const ext = /(?:^|;)\s*filename\*\s*=\s*([^;]*)/i.exec(header);
  if (ext) {
    const m = /^\s*"?([\w!#$%&+^`{}~.-]*)'[^']*'([^"]*)"?\s*$/.exec(ext[1]!);
    if (m) {
      const charset = m[1]!.toLowerCase();
      let value: string | null = null;
      try {
        if (charset === 'utf-8' || charset === 'utf8') value = decodeURIComponent(m[2]!);
        else if (charset === 'iso-8859-1' || charset === 'latin1') {
          value = m[2]!.replace(/%([0-9a-f]{2})/gi, (_s, h: string) =>
            String.fromCharCode(Number.parseInt(h, 16)),
          );
        }
      } catch {
        value = null;
      }
      const cleaned = value === null ? null : cleanFilename(value);
      if (cleaned) return cleaned;
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(header);
  if (plain) {
    const raw = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : (plain[2] ?? '');
    return cleanFilename(latin1ToUtf8(raw));
  }
  return null;
}

/** The last path segment of a URL, percent-decoded; null when the path ends with a slash. */
export function filenameFromUrl(url: URL): string | null {
  const segment = url.pathname.split('/').pop();
  if (!segment) return null;
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // keep it as it is
  }
  return cleanFilename(decoded);
}
