// Automations: a trigger, a workflow of steps stored verbatim, and a status.
import type SQLite from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import { hotStatement } from './db.js';
import { type Page, paginate } from './paginate.js';
import type { AutomationsTable, Database } from './schema.js';

export type AutomationRow = AutomationsTable;
type Db = Kysely<Database> | Transaction<Database>;

export class AutomationsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: SQLite.Database,
  ) {}

  async insert(row: AutomationRow): Promise<void> {
    await this.db.insertInto('automations').values(row).execute();
  }

  get(projectId: string, id: string): Promise<AutomationRow | undefined> {
    return this.db
      .selectFrom('automations')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  list(projectId: string, page: Page): Promise<{ rows: AutomationRow[]; total: number }> {
    return paginate(this.db.selectFrom('automations').where('project_id', '=', projectId), page);
  }

  async update(
    projectId: string,
    id: string,
    patch: Partial<AutomationRow>,
  ): Promise<AutomationRow | undefined> {
    return this.db
      .updateTable('automations')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(projectId: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('automations')
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** All active automations of a project, oldest first (one read for every event of a transaction). */
  async activeIn(projectId: string, db: Db = this.db): Promise<AutomationRow[]> {
    const hot = hotStatement(
      this.sqlite,
      db,
      "select * from automations where project_id = ? and status = 'active' order by created, id",
    );
    if (hot) return hot.all(projectId) as AutomationRow[];
    return db
      .selectFrom('automations')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('status', '=', 'active')
      .orderBy('created')
      .orderBy('id')
      .execute();
  }
}
