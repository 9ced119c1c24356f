// API version per request (spec §1.4): Accept-Version, then ACCEPT_VERSION, then Ittybit-Version; `latest`
// is the newest; anything unknown falls back to the default. <2025-08-20 gets the envelope.
//
// Without a version header, the client decides the default (docs/compatibility.md, "Version resolution"):
// the 1.0 SDKs (PHP, Go, Ruby, Python; Fern-generated) parse bare objects but leave the header off some
// calls, so an ittybit SDK whose X-Fern-SDK-Version or User-Agent says major ≥ 1 gets 2025-08-20. Everything
// else — the Node SDK 0.8.x (which sends no header and parses the envelope), curl, fetch — gets the
// configured default. The Go 1.0 SDK also puts `"Accept-Version"` into JSON bodies: `versionFromBody` takes
// it as a hint and removes it before validation.
import type { FastifyRequest } from 'fastify';
import { API_VERSIONS, type ApiVersion, LATEST_VERSION } from '../config.js';

type Headers = Record<string, string | string[] | undefined>;

const VERSION_HEADERS = ['accept-version', 'accept_version', 'ittybit-version'] as const;
/** Top-level body keys taken as a version hint (the Go 1.0 SDK sends `Accept-Version`). */
const VERSION_BODY_KEYS = ['Accept-Version', 'ACCEPT_VERSION'] as const;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Maps one version string to a version; undefined when it names none (the caller's default applies). */
export function parseVersion(raw: string | undefined): ApiVersion | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if (v.toLowerCase() === 'latest') return LATEST_VERSION;
  if ((API_VERSIONS as readonly string[]).includes(v)) return v as ApiVersion;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    // a date we don't list: use the newest version released on or before it
    const older = API_VERSIONS.filter((x) => x <= v);
    if (older.length) return older[older.length - 1];
  }
  return undefined;
}

/** The first version header present (even if its value is unusable), or undefined when there is none. */
export function versionHeader(headers: Headers): string | undefined {
  for (const name of VERSION_HEADERS) {
    const raw = header(headers, name)?.trim();
    if (raw) return raw;
  }
  return undefined;
}

/** `1.0.0`, `v1.0.0`, `1.2.3-rc1` → 1; undefined when it doesn't start with a number. */
function major(version: string | undefined): number | undefined {
  const m = version?.trim().match(/^v?(\d+)(?:\.|$)/i);
  return m ? Number(m[1]) : undefined;
}

/**
 * User-Agents of ittybit's own SDKs, capturing the version: `ittybit/1.0.0` (Python), `ittybit/sdk/1.0.0`
 * (PHP), `github.com/ittybit/sdk-go/1.0.0` (Go), `@ittybit/sdk/0.8.7` (Node). Ruby sends Faraday's own.
 */
const SDK_USER_AGENT = /^(?:@?ittybit(?:\/sdk)?|github\.com\/ittybit\/sdk-[a-z]+)\/(v?\d+[^\s]*)/i;

/**
 * The API shape an ittybit SDK expects when it sends no version header: 2025-08-20 for the 1.x SDKs
 * (`X-Fern-SDK-Version` major ≥ 1 with an ittybit `X-Fern-SDK-Name`, or a 1.x ittybit User-Agent),
 * undefined for anything else (0.x SDKs included), which then gets the configured default.
 */
export function versionForClient(headers: Headers): ApiVersion | undefined {
  const sdkName = header(headers, 'x-fern-sdk-name');
  const sdkVersion = header(headers, 'x-fern-sdk-version');
  if (sdkVersion !== undefined && (sdkName === undefined || /ittybit/i.test(sdkName))) {
    const m = major(sdkVersion);
    if (m !== undefined) return m >= 1 ? '2025-08-20' : undefined;
  }
  const ua = header(headers, 'user-agent')?.trim().match(SDK_USER_AGENT);
  if (ua) {
    const m = major(ua[1]);
    if (m !== undefined && m >= 1) return '2025-08-20';
  }
  return undefined;
}

/** The version for a request from its headers: version header, else what the client is, else `dflt`. */
export function resolveVersion(headers: Headers, dflt: ApiVersion): ApiVersion {
  const raw = versionHeader(headers);
  if (raw !== undefined) return parseVersion(raw) ?? dflt;
  return versionForClient(headers) ?? dflt;
}

export function usesEnvelope(version: ApiVersion): boolean {
  return version < '2025-08-20';
}

/**
 * preValidation hook: a top-level `Accept-Version` / `ACCEPT_VERSION` key in a JSON object body is a version
 * hint from the client (the Go 1.0 SDK serialises its header parameter into the body), never a field of the
 * resource. It is removed so strict validation doesn't reject it, and decides the version when the request
 * carried no version header (a header always wins).
 */
export function versionFromBody(req: FastifyRequest, _reply: unknown, done: () => void): void {
  const body = req.body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) takeVersionHint(req, body);
  done();
}

function takeVersionHint(req: FastifyRequest, body: object): void {
  const fields = body as Record<string, unknown>;
  let hint: string | undefined;
  for (const key of VERSION_BODY_KEYS) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (hint === undefined && typeof value === 'string') hint = value;
    delete fields[key];
  }
  if (hint === undefined || versionHeader(req.headers) !== undefined) return;
  const version = parseVersion(hint);
  if (version) req.apiVersion = version;
}
