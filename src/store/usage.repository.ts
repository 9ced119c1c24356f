// What a project holds and did (GET /usage): plain aggregates that run the same on SQLite and PostgreSQL.
// Timestamps are ISO text, so the first ten characters are the UTC day.
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

export interface UsageTotals {
  storageBytes: number;
  media: number;
  files: number;
  tasks: Record<string, number>;
}

export interface UsageDayCounts {
  created: Map<string, number>;
  completed: Map<string, number>;
  failed: Map<string, number>;
}

const day = (column: string) => sql<string>`substr(${sql.ref(column)}, 1, 10)`;

export class UsageRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async totals(projectId: string): Promise<UsageTotals> {
    const files = await this.db
      .selectFrom('files')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.coalesce(eb.fn.sum<number>('filesize'), sql<number>`0`).as('bytes'),
      ])
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    const media = await this.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    const tasks = await this.db
      .selectFrom('tasks')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .where('project_id', '=', projectId)
      .groupBy('status')
      .execute();
    return {
      // PostgreSQL answers bigint sums and counts as strings
      storageBytes: Number(files?.bytes ?? 0),
      files: Number(files?.n ?? 0),
      media: Number(media?.n ?? 0),
      tasks: Object.fromEntries(tasks.map((t) => [t.status, Number(t.n)])),
    };
  }

  /** Tasks created, completed and failed per UTC day since `since` (an ISO timestamp). */
  async perDay(projectId: string, since: string): Promise<UsageDayCounts> {
    const created = await this.db
      .selectFrom('tasks')
      .select((eb) => [day('created').as('d'), eb.fn.countAll<number>().as('n')])
      .where('project_id', '=', projectId)
      .where('created', '>=', since)
      .groupBy(day('created'))
      .execute();
    const ended = await this.db
      .selectFrom('tasks')
      .select((eb) => ['status', day('completed').as('d'), eb.fn.countAll<number>().as('n')])
      .where('project_id', '=', projectId)
      .where('status', 'in', ['completed', 'failed'])
      .where('completed', '>=', since)
      .groupBy(['status', day('completed')])
      .execute();
    const map = (rows: { d: string; n: number }[]) => new Map(rows.map((r) => [r.d, Number(r.n)]));
    return {
      created: map(created),
      completed: map(ended.filter((r) => r.status === 'completed')),
      failed: map(ended.filter((r) => r.status === 'failed')),
    };
  }
}
