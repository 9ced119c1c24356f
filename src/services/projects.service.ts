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
  keyId: string;
  projectId: string;
  orgId: string;
}

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

export function generateApiKey(): string {
  return `mediary_${randomBase62(48)}`;
}

const AUTH_CACHE_MS = 2000;

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
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
      throw new AppError('request_invalid', 'project names are 1-63 letters, digits, ".", "_" or "-"');
    }
    const org = await this.repo.firstOrg();
    if (!org) throw new AppError('request_invalid', 'the store has no org yet; run `mediary start` once');
    if ((await this.repo.listProjects()).some((p) => p.name === name)) {
      throw new AppError('conflict', `a project named ${name} already exists`);
    }
    return this.insertProject(org.id, name);
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
    };
    await this.repo.insertKey(row);
    return { id: row.id, key, project_id: project.id, project: project.name, created: row.created };
  }

  listKeys(projectId?: string): Promise<ApiKeyRow[]> {
    return this.repo.listKeys(projectId);
  }

  async revokeKey(id: string): Promise<void> {
    const key = await this.repo.findKey(id);
    if (!key) throw new AppError('not_found', `key ${id} was not found`);
    const revoked = await this.repo.revokeKey(id, now());
    this.authCache.clear();
    if (!revoked) throw new AppError('conflict', `key ${id} is already revoked`);
  }

  /**
   * null for unknown or revoked keys; callers answer 401 either way. Valid keys are remembered for
   * AUTH_CACHE_MS so a busy API doesn't hash-and-query on every request; a revoke in this process clears
   * the memory at once, a revoke from another process (the CLI, another node) takes effect within that time.
   * The memory is keyed by the key itself (held no longer than the request that sent it would be), so a
   * remembered key costs a map lookup, not a SHA-256.
   */
  async authenticate(key: string): Promise<AuthContext | null> {
    const at = Date.now();
    const hit = this.authCache.get(key);
    if (hit !== undefined && hit.until > at) return hit.auth;
    const row = await this.repo.findKeyByHash(sha256Hex(key));
    if (!row || row.revoked) {
      this.authCache.delete(key);
      return null;
    }
    const auth = { keyId: row.key_id, projectId: row.project_id, orgId: row.org_id };
    if (this.authCache.size >= 10_000) this.authCache.clear();
    this.authCache.set(key, { auth, until: at + AUTH_CACHE_MS });
    return auth;
  }

  /** The plain keys of a project's active keys: signed-URL verification tries each (rotation). */
  async activeKeySecrets(projectId: string): Promise<{ id: string; key: string }[]> {
    const rows = await this.repo.activeKeys(projectId);
    return rows.map((r) => ({ id: r.id, key: this.box.open(r.key_enc) }));
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
