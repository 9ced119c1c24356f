// Automations: a trigger, a workflow of steps stored verbatim, and a status.
import type { Kysely, Transaction } from 'kysely';
import { type Page, paginate } from './paginate.js';
import type { AutomationsTable, Database } from './schema.js';

export type AutomationRow = AutomationsTable;
type Db = Kysely<Database> | Transaction<Database>;

export class AutomationsRepository {
  constructor(private readonly db: Kysely<Database>) {}

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

  /** The active automations of a project whose trigger is this event kind (read in the event's transaction). */
  activeFor(projectId: string, eventKind: string, db: Db = this.db): Promise<AutomationRow[]> {
    return db
      .selectFrom('automations')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('trigger_event', '=', eventKind)
      .where('status', '=', 'active')
      .orderBy('created')
      .execute();
  }
}
