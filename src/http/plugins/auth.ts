// API routes authenticate by Bearer key, or (without an Authorization header) by the dashboard's session
// cookie on the same origin (docs/webapp.md, "How a session authenticates"). Unknown, malformed and revoked
// keys all get the same 401. The key path comes first and is unchanged: a session costs nothing to key users.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { AccountsService, SESSION_COOKIE, type SessionAuth } from '../../services/accounts.service.js';
import type { ProjectsService } from '../../services/projects.service.js';

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new AppError('token_invalid', 'The Authorization header must be "Bearer <API key>".');
  return m[1];
}

/** One cookie's value from the Cookie header (the first of that name), or undefined. */
export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    return value;
  }
  return undefined;
}

/**
 * The origins a session request may come from: the configured public URL's, and the origin the request itself
 * was addressed to (scheme + Host). The second lets a server reached under another name (tests on an ephemeral
 * port, a LAN address) work; it adds no cross-site path in, because the browser only sends the cookie to the
 * host that set it, and an attacker's page is never on that host's origin (a rebound DNS name is a different
 * cookie jar and fails TLS).
 */
function ownOrigins(req: FastifyRequest, publicOrigin: string): string[] {
  const own = [publicOrigin];
  if (req.host) own.push(`${req.protocol}://${req.host}`.toLowerCase());
  return own;
}

function originOf(url: string): string | undefined {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? undefined : o.toLowerCase();
  } catch {
    return undefined;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SessionRules {
  accounts: AccountsService;
  /** the API's own origin (MEDIARY_PUBLIC_URL's) */
  publicOrigin: string;
}

export function sessionRules(accounts: AccountsService, publicUrl: string): SessionRules {
  return { accounts, publicOrigin: originOf(publicUrl) ?? publicUrl };
}

/** Same-origin: Sec-Fetch-Site (when sent) is same-origin or none, and Origin (when sent) is our own. */
export function checkSameOrigin(req: FastifyRequest, rules: SessionRules): void {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('csrf_failed', 'A signed-in session is only accepted from the dashboard itself.');
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const o = originOf(origin);
    if (!o || !ownOrigins(req, rules.publicOrigin).includes(o)) {
      throw new AppError('csrf_failed', 'A signed-in session is only accepted from the dashboard itself.');
    }
  }
}

/** Unsafe methods: X-CSRF-Token must be the session's, and Origin or Referer must be our own origin. */
export function checkCsrf(req: FastifyRequest, rules: SessionRules, csrfToken: string): void {
  if (!UNSAFE.has(req.method)) return;
  const sent = req.headers['x-csrf-token'];
  if (!AccountsService.csrfMatches(csrfToken, typeof sent === 'string' ? sent : undefined)) {
    throw new AppError('csrf_failed', 'Missing or wrong X-CSRF-Token (the csrf_token of GET /auth/session).');
  }
  const from = req.headers.origin ?? req.headers.referer;
  const o = from ? originOf(from) : undefined;
  if (!o || !ownOrigins(req, rules.publicOrigin).includes(o)) {
    throw new AppError(
      'csrf_failed',
      'A change by a signed-in session needs an Origin or Referer of this site.',
    );
  }
}

/**
 * The live session of a request's cookie, checked for origin (and CSRF on unsafe methods); null when the
 * request sends no session cookie. A cookie that names no live session is 401 session_missing.
 */
export async function sessionOf(
  req: FastifyRequest,
  rules: SessionRules,
  opts: { csrf?: boolean } = {},
): Promise<SessionAuth | null> {
  const cookie = readCookie(req, SESSION_COOKIE);
  if (cookie === undefined || cookie === '') return null;
  checkSameOrigin(req, rules);
  const session = await rules.accounts.authenticateSession(cookie);
  if (!session)
    throw new AppError('session_missing', 'The session has ended (signed out or expired); sign in again.');
  if (opts.csrf !== false) checkCsrf(req, rules, session.csrfToken);
  return session;
}

export function registerAuth(app: FastifyInstance, projects: ProjectsService, sessions?: SessionRules): void {
  const slow = async (req: FastifyRequest, token: string | null) => {
    if (!token) {
      const session = sessions ? await sessionOf(req, sessions) : null;
      if (session) {
        req.auth = session.auth;
        return;
      }
      throw new AppError('token_missing', 'Missing API key: send "Authorization: Bearer <API key>".');
    }
    const auth = await projects.authenticate(token);
    if (!auth) throw new AppError('token_invalid', 'The API key is not valid (unknown or revoked).');
    req.auth = auth;
  };
  // callback-style: a key this process checked a moment ago continues at once (no promise per request)
  app.addHook('onRequest', (req, _reply, done) => {
    let token: string | null;
    try {
      token = bearerToken(req);
    } catch (err) {
      done(err as Error);
      return;
    }
    const cached = token ? projects.cachedAuth(token) : undefined;
    if (cached) {
      req.auth = cached;
      done();
      return;
    }
    slow(req, token).then(() => done(), done);
  });
}
