import type { Kysely } from 'kysely';
import type { ApiKeysTable, Database, OrgsTable, ProjectsTable } from './schema.js';

export type ProjectRow = ProjectsTable;
export type ApiKeyRow = ApiKeysTable;

export interface KeyAuthRow {
  key_id: string;
  project_id: string;
  org_id: string;
  revoked: string | null;
  paused: string | null;
  expires: string | null;
  last_used: string | null;
}

export class ProjectsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async countOrgs(): Promise<number> {
    const row = await this.db
      .selectFrom('orgs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async firstOrg(): Promise<OrgsTable | undefined> {
    return this.db.selectFrom('orgs').selectAll().orderBy('created').orderBy('id').executeTakeFirst();
  }

  async insertOrg(row: OrgsTable): Promise<void> {
    await this.db.insertInto('orgs').values(row).execute();
  }

  async insertProject(row: ProjectRow): Promise<void> {
    await this.db.insertInto('projects').values(row).execute();
  }

  async listProjects(): Promise<ProjectRow[]> {
    return this.db.selectFrom('projects').selectAll().orderBy('created').orderBy('id').execute();
  }

  async findProject(idOrName: string): Promise<ProjectRow | undefined> {
    return this.db
      .selectFrom('projects')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .orderBy('created')
      .executeTakeFirst();
  }

  async getProject(id: string): Promise<ProjectRow | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async updateProject(id: string, patch: Partial<ProjectRow>): Promise<void> {
    await this.db.updateTable('projects').set(patch).where('id', '=', id).execute();
  }

  async insertKey(row: ApiKeyRow): Promise<void> {
    await this.db.insertInto('api_keys').values(row).execute();
  }

  async listKeys(projectId?: string): Promise<ApiKeyRow[]> {
    let q = this.db.selectFrom('api_keys').selectAll().orderBy('created').orderBy('id');
    if (projectId) q = q.where('project_id', '=', projectId);
    return q.execute();
  }

  /** Keys that sign and verify URLs: not revoked, not paused, not past a roll's expiry. */
  async activeKeys(projectId: string, at = new Date().toISOString()): Promise<ApiKeyRow[]> {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('revoked', 'is', null)
      .where('paused', 'is', null)
      .where((eb) => eb.or([eb('expires', 'is', null), eb('expires', '>', at)]))
      .orderBy('created')
      .orderBy('id')
      .execute();
  }

  async listProjectsOfOrg(orgId: string): Promise<ProjectRow[]> {
    // by name within a creation instant: the first start makes development and production in one
    // millisecond, and the dashboard opens on the first (development), never on a coin toss between them
    return this.db
      .selectFrom('projects')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created')
      .orderBy('name')
      .orderBy('id')
      .execute();
  }

  /** Changes a key that is not revoked; false when it is (or does not exist). */
  async updateKey(
    id: string,
    patch: Partial<Pick<ApiKeyRow, 'name' | 'paused' | 'expires' | 'updated'>>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('api_keys')
      .set(patch)
      .where('id', '=', id)
      .where('revoked', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async touchKeyUsed(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used: at }).where('id', '=', id).execute();
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('api_keys')
      .set({ revoked: at, updated: at })
      .where('id', '=', id)
      .where('revoked', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async findKey(id: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findKeyByHash(hash: string): Promise<KeyAuthRow | undefined> {
    return this.db
      .selectFrom('api_keys')
      .innerJoin('projects', 'projects.id', 'api_keys.project_id')
      .select([
        'api_keys.id as key_id',
        'api_keys.project_id as project_id',
        'projects.org_id as org_id',
        'api_keys.revoked as revoked',
        'api_keys.paused as paused',
        'api_keys.expires as expires',
        'api_keys.last_used as last_used',
      ])
      .where('api_keys.key_hash', '=', hash)
      .executeTakeFirst();
  }
}
