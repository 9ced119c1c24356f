import type { Kysely } from 'kysely';
import type { Database, UploadsTable } from './schema.js';

export type UploadRow = UploadsTable;

/** Unique violations differ by driver: better-sqlite3 sets a code, pg an SQLSTATE. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === '23505';
}

export class UploadsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: UploadRow): Promise<void> {
    await this.db.insertInto('uploads').values(row).execute();
  }

  async get(id: string): Promise<UploadRow | undefined> {
    return this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The open chunked session for a target (at most one, by the partial unique index). */
  async findOpenPut(projectId: string, path: string, total: number): Promise<UploadRow | undefined> {
    return this.putSessions(projectId, path, total).where('status', '=', 'receiving').executeTakeFirst();
  }

  /** Finished or finishing sessions for a target, newest first: a retried chunk is answered from these. */
  async findClosedPut(projectId: string, path: string, total: number): Promise<UploadRow[]> {
    return this.putSessions(projectId, path, total)
      .where('status', 'in', ['finishing', 'complete'])
      .orderBy('updated', 'desc')
      .limit(5)
      .execute();
  }

  /** Chunked PUT sessions of one target: the same path and the same declared total size. */
  private putSessions(projectId: string, path: string, total: number) {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('protocol', '=', 'put')
      .where('path', '=', path)
      .where('total', '=', total);
  }

  /** Compare-and-set on `version`: false when another writer got there first. */
  async updateIfVersion(id: string, version: number, patch: Partial<UploadRow>): Promise<boolean> {
    const res = await this.db
      .updateTable('uploads')
      .set({ ...patch, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('uploads').where('id', '=', id).execute();
  }

  async expired(nowIso: string, limit = 100): Promise<UploadRow[]> {
    return this.db
      .selectFrom('uploads')
      .selectAll()
      .where('expires', '<', nowIso)
      .orderBy('expires')
      .limit(limit)
      .execute();
  }

  async listIds(protocol: UploadRow['protocol']): Promise<string[]> {
    const rows = await this.db.selectFrom('uploads').select('id').where('protocol', '=', protocol).execute();
    return rows.map((r) => r.id);
  }

  async exists(id: string): Promise<boolean> {
    return Boolean(await this.db.selectFrom('uploads').select('id').where('id', '=', id).executeTakeFirst());
  }
}
