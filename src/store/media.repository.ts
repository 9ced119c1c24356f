import type SQLite from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import { type Page, paginate } from './paginate.js';
import type { Database, FilesTable, MediaTable } from './schema.js';

export type MediaRow = MediaTable;
export type FileRow = FilesTable;
type Db = Kysely<Database> | Transaction<Database>;

export class MediaRepository {
  private readonly fileById?: SQLite.Statement<[string, string], FileRow>;

  constructor(
    private readonly db: Kysely<Database>,
    sqlite?: SQLite.Database,
  ) {
    // GET /files/{id} is the hottest read; on SQLite it skips the query builder's per-call compile and
    // async connection handoff (the statement runs synchronously; better-sqlite3 caches nothing itself)
    this.fileById = sqlite?.prepare<[string, string], FileRow>(
      'select * from files where project_id = ? and id = ?',
    );
  }

  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insertMedia(row: MediaRow, db: Db = this.db): Promise<void> {
    await db.insertInto('media').values(row).execute();
  }

  async getMedia(projectId: string, id: string, db: Db = this.db): Promise<MediaRow | undefined> {
    return db
      .selectFrom('media')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  listMedia(projectId: string, page: Page): Promise<{ rows: MediaRow[]; total: number }> {
    return paginate(this.db.selectFrom('media').where('project_id', '=', projectId), page);
  }

  async updateMedia(
    projectId: string,
    id: string,
    patch: Partial<MediaRow>,
    db: Db = this.db,
  ): Promise<boolean> {
    const res = await db
      .updateTable('media')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async deleteMedia(projectId: string, id: string, db: Db = this.db): Promise<void> {
    await db.deleteFrom('files').where('project_id', '=', projectId).where('media_id', '=', id).execute();
    await db.deleteFrom('media').where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  async insertFile(row: FileRow, db: Db = this.db): Promise<void> {
    await db.insertInto('files').values(row).execute();
  }

  /** Several rows, a statement per hundred (SQLite allows 32766 bound values in one). */
  async insertFiles(rows: FileRow[], db: Db = this.db): Promise<void> {
    for (let i = 0; i < rows.length; i += 100) {
      await db
        .insertInto('files')
        .values(rows.slice(i, i + 100))
        .execute();
    }
  }

  async getFile(projectId: string, id: string, db: Db = this.db): Promise<FileRow | undefined> {
    if (this.fileById && db === this.db) return this.fileById.get(projectId, id);
    return db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  listFiles(projectId: string, page: Page): Promise<{ rows: FileRow[]; total: number }> {
    return paginate(this.db.selectFrom('files').where('project_id', '=', projectId), page);
  }

  /** Files of several media, oldest first (so a newer file with the same ref wins in `urls`). */
  async filesOfMedia(projectId: string, mediaIds: string[], db: Db = this.db): Promise<FileRow[]> {
    if (mediaIds.length === 0) return [];
    return db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('media_id', 'in', mediaIds)
      .orderBy('created', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  async updateFile(projectId: string, id: string, patch: Partial<FileRow>, db: Db = this.db): Promise<void> {
    await db
      .updateTable('files')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .execute();
  }

  async deleteFile(projectId: string, id: string, db: Db = this.db): Promise<void> {
    await db.deleteFrom('files').where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  /**
   * Marks the media's first file as announced; true only for the one caller that did (two first files
   * written at once: the second waits for the first's row lock, then finds it set).
   */
  async announce(projectId: string, id: string, at: string, db: Db = this.db): Promise<boolean> {
    const res = await db
      .updateTable('media')
      .set({ announced: at })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('announced', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The newest ready file at a delivery path: a newer upload to the same path replaces what it serves. */
  async fileAtPath(projectId: string, path: string): Promise<FileRow | undefined> {
    return this.db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('path', '=', path)
      .where('status', '=', 'ready')
      .orderBy('created', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
  }
}
