// API version per request (spec §1.4): Accept-Version, then ACCEPT_VERSION, then Ittybit-Version; `latest`
// is the newest; anything unknown falls back to the configured default. <2025-08-20 gets the envelope.
import { API_VERSIONS, type ApiVersion, LATEST_VERSION } from '../config.js';

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function resolveVersion(headers: Headers, dflt: ApiVersion): ApiVersion {
  for (const name of ['accept-version', 'accept_version', 'ittybit-version']) {
    const raw = header(headers, name)?.trim();
    if (!raw) continue;
    if (raw.toLowerCase() === 'latest') return LATEST_VERSION;
    if ((API_VERSIONS as readonly string[]).includes(raw)) return raw as ApiVersion;
    if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
      // a date we don't list: use the newest version released on or before it
      const older = API_VERSIONS.filter((v) => v <= raw);
      if (older.length) return older[older.length - 1];
    }
    return dflt;
  }
  return dflt;
}

export function usesEnvelope(version: ApiVersion): boolean {
  return version < '2025-08-20';
}
