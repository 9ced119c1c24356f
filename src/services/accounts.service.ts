// Dashboard accounts (docs/webapp.md): users of an org, scrypt passwords, one-time sign-in links, browser
// sessions and sign-in throttling. The store keeps only hashes of what a browser holds (the session cookie,
// the link's token); the plain values exist in the response that hands them out, once.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { safeEqual } from '../lib/secrets.js';
import type { ProjectRow, ProjectsRepository } from '../store/projects.repository.js';
import type { SessionAuthRow, UserRow, UsersRepository } from '../store/users.repository.js';
import type { AuthContext, ProjectsService } from './projects.service.js';

// --- passwords: scrypt, N=2^15, r=8, p=1, 16-byte salt, compared in constant time ---

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keylen: 32 };
/** scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly that, so give it room */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
export const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1000;

function scryptAsync(
  password: string,
  salt: Buffer,
  o: { N: number; r: number; p: number; keylen: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, o.keylen, { N: o.N, r: o.r, p: o.p, maxmem: SCRYPT_MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64url). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, SCRYPT);
  const { N, r, p } = SCRYPT;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  // parameters come from our own store, but bound them so a bad row cannot take the process's memory
  if (![N, r, p].every(Number.isInteger) || N < 2 || N > 2 ** 17 || r < 1 || r > 16 || p < 1 || p > 4) {
    return false;
  }
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length < 16) return false;
  const actual = await scryptAsync(password, salt, { N, r, p, keylen: expected.length });
  return timingSafeEqual(actual, expected);
}

// --- sign-in throttling: failures per account and per client address in a sliding window ---

const SIGN_IN_WINDOW_MS = 15 * 60_000;
const ACCOUNT_FAILURE_LIMIT = 5;
const IP_FAILURE_LIMIT = 20;

export class FailureWindow {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  private recent(key: string, t: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((at) => at > t - this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds until another attempt is allowed; 0 when it is now. */
  retryAfter(key: string): number {
    const t = this.clock();
    const list = this.recent(key, t);
    if (list.length < this.limit) return 0;
    return Math.max(1, Math.ceil((list[list.length - this.limit] + this.windowMs - t) / 1000));
  }

  fail(key: string): void {
    const t = this.clock();
    if (this.failures.size >= 100_000) {
      for (const k of [...this.failures.keys()]) this.recent(k, t);
    }
    const list = this.recent(key, t);
    list.push(t);
    this.failures.set(key, list);
  }

  clear(key: string): void {
    this.failures.delete(key);
  }
}

export class SignInThrottledError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many failed sign-ins; try again in ${retryAfterSeconds} s.`);
  }
}

// --- wire shapes ---

export type UserWire = {
  object: 'user';
  id: string;
  email: string;
  role: 'owner' | 'member';
  created_at: string;
  last_sign_in_at: string | null;
  status: 'active' | 'invited';
};

export function userToWire(u: UserRow): UserWire {
  return {
    object: 'user',
    id: u.id,
    email: u.email,
    role: u.role,
    created_at: u.created,
    last_sign_in_at: u.last_sign_in,
    status: u.password_hash ? 'active' : 'invited',
  };
}

export type SessionWire = {
  object: 'session';
  user: { id: string; email: string; role: 'owner' | 'member' };
  project: { id: string; name: string };
  projects: { id: string; name: string }[];
  csrf_token: string;
  delivery_url: string;
  expires_at: string;
};

/** A session cookie as the browser holds it, and how long the cookie may live. */
export interface IssuedSession {
  cookie: string;
  maxAgeSeconds: number;
  session: SessionWire;
}

/** What a request authenticated by a session carries. */
export interface SessionAuth {
  auth: AuthContext & { userId: string; role: 'owner' | 'member'; sessionId: string };
  csrfToken: string;
}

export interface AccountsDeps {
  users: UsersRepository;
  projectsRepo: ProjectsRepository;
  projects: ProjectsService;
  config: Pick<Config, 'publicUrl' | 'deliveryUrl' | 'accounts'>;
  /** ms since the epoch; tests may move it */
  clock?: () => number;
}

export const SESSION_COOKIE = 'mediary_session';
const LINK_TTL_MS = 24 * 3600_000;
/** last_seen is written at most this often per session */
const TOUCH_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3600_000;
const COOKIE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL_SHAPE.test(e))
    throw new AppError('request_invalid', `"${email.slice(0, 100)}" is not an email address`);
  return e;
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('request_invalid', `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError('request_invalid', `A password has at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
}

export class AccountsService {
  private readonly users: UsersRepository;
  private readonly clock: () => number;
  /** 5 failures per account in 15 min */
  readonly accountFailures: FailureWindow;
  /** 20 failures per client address in 15 min */
  readonly ipFailures: FailureWindow;
  private dummyHash?: Promise<string>;
  private lastPrune = 0;
  private lastFailurePrune = 0;

  constructor(private readonly deps: AccountsDeps) {
    this.users = deps.users;
    this.clock = deps.clock ?? Date.now;
    this.accountFailures = new FailureWindow(ACCOUNT_FAILURE_LIMIT, SIGN_IN_WINDOW_MS, this.clock);
    this.ipFailures = new FailureWindow(IP_FAILURE_LIMIT, SIGN_IN_WINDOW_MS, this.clock);
  }

  private iso(ms = this.clock()): string {
    return new Date(ms).toISOString();
  }

  signInUrl(token: string): string {
    return `${this.deps.config.publicUrl}/app/#/accept/${token}`;
  }

  /**
   * On a start that finds no users: the first owner (MEDIARY_ADMIN_EMAIL, default admin@localhost) and a
   * one-time sign-in link for them. Undefined when users exist (or another node made the first one just now).
   */
  async bootstrap(): Promise<{ email: string; url: string } | undefined> {
    if ((await this.users.countUsers()) > 0) return undefined;
    const org = await this.deps.projectsRepo.firstOrg();
    if (!org) return undefined;
    try {
      const { user, url } = await this.createUser(org.id, this.deps.config.accounts.adminEmail, 'owner');
      return { email: user.email, url };
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return undefined;
      throw err;
    }
  }

  private async orgId(orgId?: string): Promise<string> {
    if (orgId) return orgId;
    const org = await this.deps.projectsRepo.firstOrg();
    if (!org) throw new AppError('request_invalid', 'the store has no org yet; run `mediary start` once');
    return org.id;
  }

  /** A new user with a one-time sign-in link (24 h) to set their password. */
  async createUser(
    orgId: string | undefined,
    email: string,
    role: 'owner' | 'member' = 'member',
  ): Promise<{ user: UserRow; token: string; url: string }> {
    const address = normalizeEmail(email);
    if (role !== 'owner' && role !== 'member')
      throw new AppError('request_invalid', 'role is owner or member');
    if (await this.users.findUserByEmail(address)) {
      throw new AppError('conflict', `a user with the email ${address} already exists`);
    }
    const at = this.iso();
    const user: UserRow = {
      id: newId('usr'),
      org_id: await this.orgId(orgId),
      email: address,
      role,
      password_hash: null,
      created: at,
      updated: at,
      last_sign_in: null,
    };
    try {
      await this.users.insertUser(user);
    } catch (err) {
      // two creates of one address at once: the unique index decides
      if (await this.users.findUserByEmail(address)) {
        throw new AppError('conflict', `a user with the email ${address} already exists`, { cause: err });
      }
      throw err;
    }
    const token = await this.issueLink(user.id, 'invite');
    return { user, token, url: this.signInUrl(token) };
  }

  private async issueLink(userId: string, purpose: string): Promise<string> {
    const t = this.clock();
    await this.users.retireTokensOf(userId, this.iso(t));
    const token = randomBytes(32).toString('base64url');
    await this.users.insertToken({
      token_hash: sha256(token),
      user_id: userId,
      purpose,
      created: this.iso(t),
      expires: this.iso(t + LINK_TTL_MS),
      used: null,
    });
    return token;
  }

  listUsers(orgId?: string): Promise<UserRow[]> {
    return this.users.listUsers(orgId);
  }

  async findUserByEmail(email: string): Promise<UserRow> {
    const user = await this.users.findUserByEmail(normalizeEmail(email));
    if (!user) throw new AppError('not_found', `no user with the email ${email.trim().toLowerCase()}`);
    return user;
  }

  /**
   * A new sign-in link for a user: their password is cleared (the link sets a new one), earlier links stop
   * working and every session of theirs ends.
   */
  async resetPassword(userId: string): Promise<{ user: UserRow; token: string; url: string }> {
    const user = await this.users.getUser(userId);
    if (!user) throw new AppError('not_found', `user ${userId} was not found`);
    await this.users.updateUser(user.id, { password_hash: null, updated: this.iso() });
    await this.users.deleteSessionsOf(user.id);
    const token = await this.issueLink(user.id, 'reset');
    return { user: { ...user, password_hash: null }, token, url: this.signInUrl(token) };
  }

  private async userOfOrg(orgId: string, id: string): Promise<UserRow> {
    const user = await this.users.getUser(id);
    if (!user || user.org_id !== orgId) throw new AppError('not_found', `user ${id} was not found`);
    return user;
  }

  private requireOwner(actor: AuthContext): void {
    if (!actor.userId) throw new AppError('forbidden', 'Users are managed from a signed-in session.');
    if (actor.role !== 'owner') throw new AppError('forbidden', 'Only an owner manages users.');
  }

  async listUsersFor(actor: AuthContext): Promise<UserRow[]> {
    this.requireOwner(actor);
    return this.users.listUsers(actor.orgId);
  }

  async inviteUser(
    actor: AuthContext,
    email: string,
    role: 'owner' | 'member',
  ): Promise<{ user: UserRow; url: string }> {
    this.requireOwner(actor);
    const { user, url } = await this.createUser(actor.orgId, email, role);
    return { user, url };
  }

  /**
   * A new one-time sign-in link for a user of the org (an owner's "send a new link"): as the CLI's
   * reset-password, their password is cleared and their sessions end. Not for yourself (409): sign out
   * everywhere and use the CLI, or ask another owner.
   */
  async newSignInLink(actor: AuthContext, id: string): Promise<{ user: UserRow; url: string }> {
    this.requireOwner(actor);
    const user = await this.userOfOrg(actor.orgId, id);
    if (user.id === actor.userId) {
      throw new AppError(
        'conflict',
        'You cannot reset your own password here; ask another owner or use the CLI.',
      );
    }
    const { user: reset, url } = await this.resetPassword(user.id);
    return { user: reset, url };
  }

  /** Changes a user's role; the last owner of the org cannot be demoted (409). */
  async setRole(actor: AuthContext, id: string, role: 'owner' | 'member'): Promise<UserRow> {
    this.requireOwner(actor);
    const user = await this.userOfOrg(actor.orgId, id);
    if (user.role === role) return user;
    const at = this.iso();
    if (role === 'member') {
      if (!(await this.users.demoteOwner(id, actor.orgId, at))) {
        throw new AppError('conflict', 'The last owner cannot be demoted; make another user owner first.');
      }
    } else {
      await this.users.updateUser(id, { role, updated: at });
    }
    return { ...user, role, updated: at };
  }

  /** Removes a user and ends their sessions; not yourself, not the last owner (409). */
  async removeUser(actor: AuthContext, id: string): Promise<UserRow> {
    this.requireOwner(actor);
    const user = await this.userOfOrg(actor.orgId, id);
    if (user.id === actor.userId) throw new AppError('conflict', 'You cannot remove yourself.');
    if (user.role === 'owner' && (await this.users.countOwners(actor.orgId)) <= 1) {
      throw new AppError('conflict', 'The last owner cannot be removed.');
    }
    await this.users.deleteUser(id);
    return user;
  }

  // --- sign-in and sessions ---

  /** One answer, and about the same time, for an unknown email and a wrong password. */
  async signIn(email: string, password: string, ip: string): Promise<IssuedSession> {
    const address = email.trim().toLowerCase();
    const wait = Math.max(
      this.accountFailures.retryAfter(address),
      this.ipFailures.retryAfter(ip),
      await this.sharedWait(address, ip),
    );
    if (wait > 0) throw new SignInThrottledError(wait);
    const user = address.length <= 300 ? await this.users.findUserByEmail(address) : undefined;
    const ok =
      user?.password_hash && password.length <= MAX_PASSWORD_LENGTH
        ? await verifyPassword(password, user.password_hash)
        : await this.burnTime(password);
    if (!user || !ok) {
      this.accountFailures.fail(address);
      this.ipFailures.fail(ip);
      await this.recordSharedFailure(address, ip);
      throw new AppError('credentials_invalid', 'The email or the password is not right.');
    }
    this.accountFailures.clear(address);
    await this.users.clearFailures(`acct:${address.slice(0, 300)}`);
    return this.startSession(user);
  }

  /**
   * The same limits over every process's failures (the store's sign_in_failures), so a cluster of API nodes
   * does not multiply the tries; the in-memory windows above answer first without a query.
   */
  private async sharedWait(address: string, ip: string): Promise<number> {
    const t = this.clock();
    const since = this.iso(t - SIGN_IN_WINDOW_MS);
    let wait = 0;
    for (const [key, limit] of [
      [`acct:${address.slice(0, 300)}`, ACCOUNT_FAILURE_LIMIT],
      [`ip:${ip}`, IP_FAILURE_LIMIT],
    ] as const) {
      const recent = await this.users.recentFailures(key, since, limit);
      if (recent.length < limit) continue;
      const oldest = Date.parse(recent[limit - 1]);
      wait = Math.max(wait, Math.max(1, Math.ceil((oldest + SIGN_IN_WINDOW_MS - t) / 1000)));
    }
    return wait;
  }

  private async recordSharedFailure(address: string, ip: string): Promise<void> {
    const t = this.clock();
    await this.users.recordFailures([`acct:${address.slice(0, 300)}`, `ip:${ip}`], this.iso(t));
    if (t - this.lastFailurePrune > 60_000) {
      this.lastFailurePrune = t;
      await this.users.pruneFailures(this.iso(t - SIGN_IN_WINDOW_MS));
    }
  }

  /** Hashes against a dummy so a missing account costs what a wrong password does; always false. */
  private async burnTime(password: string): Promise<false> {
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), await this.dummyHash);
    return false;
  }

  /** Sets the password of the link's user, consumes the link and signs in. */
  async accept(token: string, password: string): Promise<IssuedSession> {
    checkPassword(password);
    const invalid = () =>
      new AppError('token_invalid', 'This sign-in link is not valid (unknown, used or expired).', {
        status: 400,
      });
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) throw invalid();
    const hash = sha256(token);
    const row = await this.users.findToken(hash);
    const at = this.iso();
    if (!row || row.used || row.expires <= at) throw invalid();
    const passwordHash = await hashPassword(password);
    if (!(await this.users.consumeToken(hash, at))) throw invalid();
    const user = await this.users.getUser(row.user_id);
    if (!user) throw invalid();
    await this.users.updateUser(user.id, { password_hash: passwordHash, updated: at });
    return this.startSession({ ...user, password_hash: passwordHash });
  }

  private async startSession(user: UserRow): Promise<IssuedSession> {
    const t = this.clock();
    const projects = await this.deps.projects.listProjectsOfOrg(user.org_id);
    if (projects.length === 0) throw new AppError('conflict', 'The org has no project to sign in to.');
    const cookie = randomBytes(32).toString('base64url');
    const maxMs = this.deps.config.accounts.sessionMaxDays * 24 * 3600_000;
    const row = {
      id_hash: sha256(cookie),
      user_id: user.id,
      project_id: projects[0].id,
      csrf_token: randomBytes(24).toString('base64url'),
      created: this.iso(t),
      last_seen: this.iso(t),
      expires: this.iso(t + maxMs),
    };
    await this.users.insertSession(row);
    await this.users.updateUser(user.id, { last_sign_in: row.created });
    await this.prune(t);
    return {
      cookie,
      maxAgeSeconds: Math.floor(maxMs / 1000),
      session: this.wire(user, row.project_id, row.csrf_token, row.expires, projects),
    };
  }

  private async prune(t: number): Promise<void> {
    if (t - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = t;
    const idleMs = this.deps.config.accounts.sessionIdleHours * 3600_000;
    await this.users.pruneSessions(this.iso(t), this.iso(t - idleMs)).catch(() => {});
  }

  private wire(
    user: Pick<UserRow, 'id' | 'email' | 'role'>,
    projectId: string,
    csrf: string,
    expires: string,
    projects: ProjectRow[],
  ): SessionWire {
    const selected = projects.find((p) => p.id === projectId) ?? projects[0];
    return {
      object: 'session',
      user: { id: user.id, email: user.email, role: user.role },
      project: { id: selected.id, name: selected.name },
      projects: projects.map((p) => ({ id: p.id, name: p.name })),
      csrf_token: csrf,
      delivery_url: this.deps.config.deliveryUrl,
      expires_at: expires,
    };
  }

  /**
   * The session a cookie names, if it is live: not past its absolute expiry and used within the idle time.
   * last_seen is written at most once a minute. A dead session is deleted.
   */
  async authenticateSession(cookie: string): Promise<SessionAuth | null> {
    if (!COOKIE_SHAPE.test(cookie)) return null;
    const idHash = sha256(cookie);
    const row = await this.users.findSession(idHash);
    if (!row) return null;
    const t = this.clock();
    const idleMs = this.deps.config.accounts.sessionIdleHours * 3600_000;
    const lastSeen = Date.parse(row.last_seen);
    if (Date.parse(row.expires) <= t || lastSeen + idleMs <= t) {
      await this.users.deleteSession(idHash).catch(() => {});
      return null;
    }
    if (t - lastSeen >= TOUCH_EVERY_MS) await this.users.touchSession(idHash, this.iso(t));
    return { auth: this.authOf(row), csrfToken: row.csrf_token };
  }

  private authOf(row: SessionAuthRow): SessionAuth['auth'] {
    return {
      keyId: row.user_id,
      projectId: row.project_id,
      orgId: row.org_id,
      userId: row.user_id,
      role: row.role,
      sessionId: row.id_hash,
    };
  }

  /** The session object of a live session. */
  async sessionObject(sessionId: string): Promise<SessionWire> {
    const row = await this.users.findSession(sessionId);
    if (!row) throw new AppError('session_missing', 'Not signed in (or the session has ended).');
    const projects = await this.deps.projects.listProjectsOfOrg(row.org_id);
    return this.wire(
      { id: row.user_id, email: row.email, role: row.role },
      row.project_id,
      row.csrf_token,
      row.expires,
      projects,
    );
  }

  /** Selects another project of the user's org for this session (404 for a project of no concern). */
  async switchProject(session: SessionAuth['auth'], projectId: string): Promise<SessionWire> {
    await this.deps.projects.projectOfOrg(session.orgId, projectId);
    await this.users.updateSession(session.sessionId, { project_id: projectId });
    return this.sessionObject(session.sessionId);
  }

  async signOut(sessionId: string): Promise<void> {
    await this.users.deleteSession(sessionId);
  }

  async signOutEverywhere(userId: string): Promise<number> {
    return this.users.deleteSessionsOf(userId);
  }

  /** The CSRF token check of an unsafe session request (constant time). */
  static csrfMatches(expected: string, sent: string | undefined): boolean {
    return typeof sent === 'string' && safeEqual(expected, sent);
  }
}
