// Orgs, projects and API keys. Keys are shown once; the store keeps a hash and a sealed copy.
import { AppError } from '../lib/errors.js';
import { newId, randomBase62 } from '../lib/ids.js';
import { type SecretBox, sha256Hex } from '../lib/secrets.js';
import { now } from '../lib/time.js';
import type { ApiKeyRow, ProjectRow, ProjectsRepository } from '../store/projects.repository.js';

export interface ProjectSettings {
  /** public (ittybit's default): every delivery URL works; private: reads need a signed URL */
  access: 'public' | 'private';
  /** folder prefixes that need a signed GET even in a public project */
  private_prefixes: string[];
}

export const DEFAULT_SETTINGS: ProjectSettings = { access: 'public', private_prefixes: [] };

export interface AuthContext {
  /** the API key's id, or for a browser session the user's id (so created_by names the user) */
  keyId: string;
  projectId: string;
  orgId: string;
  /** set for a browser session (docs/webapp.md) */
  userId?: string;
  role?: 'owner' | 'member';
  /** sha256 of the session cookie, for the session's own routes */
  sessionId?: string;
}

/** A key as the API shows it (docs/webapp.md, key object); never the secret. */
export type KeyWire = {
  object: 'key';
  id: string;
  name: string | null;
  prefix: string;
  status: 'active' | 'paused' | 'expiring' | 'revoked';
  project_id: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  expires_at: string | null;
};

export type ProjectWire = {
  object: 'project';
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
};

export function projectToWire(p: ProjectRow): ProjectWire {
  return { object: 'project', id: p.id, name: p.name, created_at: p.created, updated_at: p.updated };
}

/** The longest grace a rolled key keeps working: 30 days. */
export const MAX_ROLL_GRACE_SECONDS = 30 * 24 * 3600;
/** last_used is written at most this often per key, and only when the auth memory is refreshed. */
const LAST_USED_EVERY_MS = 60_000;

export interface CreatedKey {
  id: string;
  key: string;
  project_id: string;
  project: string;
  created: string;
}

export function parseSettings(row: Pick<ProjectRow, 'settings'>): ProjectSettings {
  try {
    return { ...DEFAULT_SETTINGS, ...(JSON.parse(row.settings) as Partial<ProjectSettings>) };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

function checkProjectName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new AppError('request_invalid', 'project names are 1-63 letters, digits, ".", "_" or "-"');
  }
}

export function keyStatus(row: ApiKeyRow, at = Date.now()): KeyWire['status'] {
  if (row.revoked || (row.expires && Date.parse(row.expires) <= at)) return 'revoked';
  if (row.paused) return 'paused';
  if (row.expires) return 'expiring';
  return 'active';
}

export function generateApiKey(): string {
  return `mediary_${randomBase62(48)}`;
}

const AUTH_CACHE_MS = 2000;

/** The signer id of URLs a dashboard session signs (see activeKeySecrets); `created_by` of its uploads. */
export const DASHBOARD_SIGNER = 'dashboard';

export class ProjectsService {
  private readonly authCache = new Map<string, { auth: AuthContext; until: number }>();
  constructor(
    private readonly repo: ProjectsRepository,
    private readonly box: SecretBox,
  ) {}

  /**
   * First start on an empty store: an org with `development` and `production` projects and a key for
   * `development`. A configured initial key is ensured on every start (so a fixed key in a deploy works).
   */
  async bootstrap(initialKey?: string): Promise<{ createdKey?: CreatedKey }> {
    let createdKey: CreatedKey | undefined;
    if ((await this.repo.countOrgs()) === 0) {
      const ts = now();
      const org = { id: newId('org'), name: 'default', created: ts };
      await this.repo.insertOrg(org);
      for (const name of ['development', 'production']) {
        await this.insertProject(org.id, name);
      }
      createdKey = await this.createKey('development', { key: initialKey, name: 'initial' });
    } else if (initialKey) {
      const existing = await this.repo.findKeyByHash(sha256Hex(initialKey));
      if (!existing) createdKey = await this.createKey('development', { key: initialKey, name: 'initial' });
    }
    return { createdKey };
  }

  private async insertProject(orgId: string, name: string): Promise<ProjectRow> {
    const ts = now();
    const row: ProjectRow = {
      id: newId('prj'),
      org_id: orgId,
      name,
      settings: JSON.stringify(DEFAULT_SETTINGS),
      webhook_secret_enc: this.box.seal(`whsec_${Buffer.from(randomBase62(32)).toString('base64')}`),
      created: ts,
      updated: ts,
    };
    await this.repo.insertProject(row);
    return row;
  }

  async createProject(name: string): Promise<ProjectRow> {
    checkProjectName(name);
    const org = await this.repo.firstOrg();
    if (!org) throw new AppError('request_invalid', 'the store has no org yet; run `mediary start` once');
    if ((await this.repo.listProjects()).some((p) => p.name === name)) {
      throw new AppError('conflict', `a project named ${name} already exists`);
    }
    return this.insertProject(org.id, name);
  }

  /** The projects of an org (a session's choice of projects). */
  listProjectsOfOrg(orgId: string): Promise<ProjectRow[]> {
    return this.repo.listProjectsOfOrg(orgId);
  }

  /** A project of this org, or 404 as for an unknown id. */
  async projectOfOrg(orgId: string, id: string): Promise<ProjectRow> {
    const p = await this.repo.getProject(id);
    if (!p || p.org_id !== orgId) throw new AppError('not_found', `project ${id} was not found`);
    return p;
  }

  async renameProject(orgId: string, id: string, name: string): Promise<ProjectRow> {
    checkProjectName(name);
    const p = await this.projectOfOrg(orgId, id);
    if (p.name === name) return p;
    if ((await this.repo.listProjects()).some((o) => o.name === name)) {
      throw new AppError('conflict', `a project named ${name} already exists`);
    }
    const updated = now();
    await this.repo.updateProject(id, { name, updated });
    return { ...p, name, updated };
  }

  listProjects(): Promise<ProjectRow[]> {
    return this.repo.listProjects();
  }

  async getProject(id: string): Promise<ProjectRow> {
    const p = await this.repo.getProject(id);
    if (!p) throw new AppError('not_found', `project ${id} was not found`);
    return p;
  }

  async findProject(idOrName: string): Promise<ProjectRow> {
    const p = await this.repo.findProject(idOrName);
    if (!p) throw new AppError('not_found', `project ${idOrName} was not found`);
    return p;
  }

  async createKey(projectIdOrName: string, opts: { key?: string; name?: string } = {}): Promise<CreatedKey> {
    const project = await this.findProject(projectIdOrName);
    const key = opts.key ?? generateApiKey();
    if (key.length < 16 || /\s/.test(key))
      throw new AppError('request_invalid', 'an API key needs 16+ non-space characters');
    const row: ApiKeyRow = {
      id: newId('key'),
      project_id: project.id,
      name: opts.name ?? null,
      key_hash: sha256Hex(key),
      key_enc: this.box.seal(key),
      key_hint: key.slice(-4),
      created: now(),
      revoked: null,
      paused: null,
      expires: null,
      last_used: null,
      updated: null,
    };
    row.updated = row.created;
    await this.repo.insertKey(row);
    return { id: row.id, key, project_id: project.id, project: project.name, created: row.created };
  }

  listKeys(projectId?: string): Promise<ApiKeyRow[]> {
    return this.repo.listKeys(projectId);
  }

  /** A key as the API shows it: a prefix and the last four characters, never the whole secret. */
  keyToWire(row: ApiKeyRow, at = Date.now()): KeyWire {
    let head = '';
    try {
      const plain = this.box.open(row.key_enc);
      head = plain.slice(0, Math.min(12, plain.length - 8));
    } catch {
      // a key sealed with another secret still lists, with its hint only
    }
    return {
      object: 'key',
      id: row.id,
      name: row.name,
      prefix: `${head}…${row.key_hint}`,
      status: keyStatus(row, at),
      project_id: row.project_id,
      created_at: row.created,
      updated_at: row.updated ?? row.created,
      last_used_at: row.last_used,
      expires_at: row.expires,
    };
  }

  /** A key of the caller's project, or 404 as for an unknown id. */
  async keyOf(auth: AuthContext, id: string): Promise<ApiKeyRow> {
    const key = await this.repo.findKey(id);
    if (!key || key.project_id !== auth.projectId) {
      throw new AppError('not_found', `key ${id} was not found in this project`);
    }
    return key;
  }

  /** Rename, pause (status paused) or resume (status active) a key of the caller's project. */
  async updateKey(
    auth: AuthContext,
    id: string,
    patch: { name?: string | null; status?: 'active' | 'paused' },
  ): Promise<ApiKeyRow> {
    const key = await this.keyOf(auth, id);
    if (key.revoked) throw new AppError('conflict', `key ${id} is revoked`);
    const at = now();
    const change: Partial<ApiKeyRow> = { updated: at };
    if (patch.name !== undefined) change.name = patch.name;
    if (patch.status === 'paused' && !key.paused) change.paused = at;
    if (patch.status === 'active') change.paused = null;
    const ok = await this.repo.updateKey(id, change);
    this.authCache.clear();
    if (!ok) throw new AppError('conflict', `key ${id} is revoked`);
    return { ...key, ...change };
  }

  /**
   * A new key in the same project named like the old one, which keeps working for `graceSeconds` (0: stops
   * at once). The new key's secret is in the answer, once.
   */
  async rollKey(
    auth: AuthContext,
    id: string,
    graceSeconds: number,
  ): Promise<{ created: CreatedKey; row: ApiKeyRow }> {
    if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROLL_GRACE_SECONDS) {
      throw new AppError('request_invalid', `grace_seconds must be 0-${MAX_ROLL_GRACE_SECONDS}`);
    }
    const key = await this.keyOf(auth, id);
    const at = Date.now();
    if (key.revoked || (key.expires && Date.parse(key.expires) <= at)) {
      throw new AppError('conflict', `key ${id} is revoked or expired`);
    }
    const base = (key.name ?? 'key').replace(/( \(rolled\))+$/, '');
    const created = await this.createKey(key.project_id, { name: `${base} (rolled)`.slice(0, 200) });
    let expires = new Date(at + graceSeconds * 1000).toISOString();
    if (key.expires && key.expires < expires) expires = key.expires;
    await this.repo.updateKey(id, { expires, updated: new Date(at).toISOString() });
    this.authCache.clear();
    const row = await this.repo.findKey(created.id);
    if (!row) throw new AppError('internal_error', 'the new key was not stored');
    return { created, row };
  }

  /** Revokes a key of the caller's project; an API key cannot revoke itself (409). */
  async revokeKeyOf(auth: AuthContext, id: string): Promise<ApiKeyRow> {
    const key = await this.keyOf(auth, id);
    if (!auth.userId && auth.keyId === id) {
      throw new AppError('conflict', 'an API key cannot revoke itself; use another key or the dashboard');
    }
    await this.revokeKey(id);
    return (await this.repo.findKey(id)) ?? key;
  }

  async revokeKey(id: string): Promise<void> {
    const key = await this.repo.findKey(id);
    if (!key) throw new AppError('not_found', `key ${id} was not found`);
    const revoked = await this.repo.revokeKey(id, now());
    this.authCache.clear();
    if (!revoked) throw new AppError('conflict', `key ${id} is already revoked`);
  }

  /**
   * null for unknown, revoked, paused and expired keys; callers answer 401 either way. Valid keys are remembered for
   * AUTH_CACHE_MS so a busy API doesn't hash-and-query on every request; a revoke in this process clears
   * the memory at once, a revoke from another process (the CLI, another node) takes effect within that time.
   * The memory is keyed by the key itself (held no longer than the request that sent it would be), so a
   * remembered key costs a map lookup, not a SHA-256.
   */
  /**
   * The project of a key this process checked within the last AUTH_CACHE_MS (no hash, no query), or
   * undefined when it must be looked up (authenticate).
   */
  cachedAuth(key: string): AuthContext | undefined {
    const hit = this.authCache.get(key);
    return hit !== undefined && hit.until > Date.now() ? hit.auth : undefined;
  }

  async authenticate(key: string): Promise<AuthContext | null> {
    const at = Date.now();
    const hit = this.authCache.get(key);
    if (hit !== undefined && hit.until > at) return hit.auth;
    const row = await this.repo.findKeyByHash(sha256Hex(key));
    const expiresAt = row?.expires ? Date.parse(row.expires) : Number.POSITIVE_INFINITY;
    if (!row || row.revoked || row.paused || expiresAt <= at) {
      this.authCache.delete(key);
      return null;
    }
    // last_used: written here, when the memory is refreshed (not per request), at most once a minute
    if (!row.last_used || at - Date.parse(row.last_used) >= LAST_USED_EVERY_MS) {
      this.repo.touchKeyUsed(row.key_id, new Date(at).toISOString()).catch(() => {});
    }
    const auth = { keyId: row.key_id, projectId: row.project_id, orgId: row.org_id };
    if (this.authCache.size >= 10_000) this.authCache.clear();
    // a rolled key is remembered no longer than it works
    this.authCache.set(key, { auth, until: Math.min(at + AUTH_CACHE_MS, expiresAt) });
    return auth;
  }

  /**
   * The plain keys of a project's active keys, which signed-URL verification tries in turn (rotation), and
   * last the project's dashboard signing secret (DASHBOARD_SIGNER): what a signed-in session signs upload
   * and playback URLs with, so the dashboard works in a project that has no API key yet. It is derived from
   * the server secret and the project id, never stored and never shown.
   */
  async activeKeySecrets(projectId: string): Promise<{ id: string; key: string }[]> {
    const rows = await this.repo.activeKeys(projectId);
    const keys = rows.map((r) => ({ id: r.id, key: this.box.open(r.key_enc) }));
    keys.push({ id: DASHBOARD_SIGNER, key: this.box.derive(`dashboard-signing:${projectId}`) });
    return keys;
  }

  async webhookSecret(projectId: string): Promise<string> {
    const p = await this.getProject(projectId);
    if (!p.webhook_secret_enc) throw new AppError('internal_error', 'project has no webhook secret');
    return this.box.open(p.webhook_secret_enc);
  }

  async rotateWebhookSecret(projectId: string): Promise<string> {
    const secret = `whsec_${Buffer.from(randomBase62(32)).toString('base64')}`;
    await this.repo.updateProject(projectId, { webhook_secret_enc: this.box.seal(secret), updated: now() });
    return secret;
  }

  async updateSettings(projectId: string, patch: Partial<ProjectSettings>): Promise<ProjectSettings> {
    const p = await this.getProject(projectId);
    const next = { ...parseSettings(p), ...patch };
    await this.repo.updateProject(projectId, { settings: JSON.stringify(next), updated: now() });
    return next;
  }
}
