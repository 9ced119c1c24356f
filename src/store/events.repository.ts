// The event log: one row per state change, written in the change's own transaction (the outbox). Listed
// newest first by page/limit, or by the G4 cursor (`after`/`before` an event id).
import type SQLite from 'better-sqlite3';
import { type Kysely, sql, type Transaction } from 'kysely';
import { hotStatement } from './db.js';
import { type Page, paginate } from './paginate.js';
import type { Database, EventsTable } from './schema.js';

export type EventRow = EventsTable;
type Db = Kysely<Database> | Transaction<Database>;

export interface EventFilter {
  kind?: string;
}

export interface EventCursor {
  limit: number;
  /** events older than this one (the next page, newest first) */
  after?: string;
  /** events newer than this one (the previous page) */
  before?: string;
}

export class EventsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: SQLite.Database,
  ) {}

  async insert(row: EventRow, db: Db = this.db): Promise<void> {
    const hot = hotStatement(
      this.sqlite,
      db,
      'insert into events (id, project_id, kind, data, created) values (?, ?, ?, ?, ?)',
    );
    if (hot) hot.run(row.id, row.project_id, row.kind, row.data, row.created);
    else await db.insertInto('events').values(row).execute();
  }

  get(projectId: string, id: string): Promise<EventRow | undefined> {
    return this.db
      .selectFrom('events')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  list(projectId: string, page: Page, f: EventFilter): Promise<{ rows: EventRow[]; total: number }> {
    let q = this.db.selectFrom('events').where('project_id', '=', projectId);
    if (f.kind) q = q.where('kind', '=', f.kind);
    return paginate(q, page);
  }

  /**
   * A page by cursor, newest first, plus whether more lie beyond it. An unknown cursor id (another
   * project's, or pruned) yields undefined so the caller can answer 404.
   */
  async listByCursor(
    projectId: string,
    c: EventCursor,
    f: EventFilter,
  ): Promise<{ rows: EventRow[]; hasMore: boolean } | undefined> {
    const anchorId = c.after ?? c.before;
    let anchor: EventRow | undefined;
    if (anchorId) {
      anchor = await this.get(projectId, anchorId);
      if (!anchor) return undefined;
    }
    let q = this.db.selectFrom('events').selectAll().where('project_id', '=', projectId);
    if (f.kind) q = q.where('kind', '=', f.kind);
    if (anchor && c.after) {
      const a = anchor;
      q = q.where((eb) =>
        eb.or([eb('created', '<', a.created), eb.and([eb('created', '=', a.created), eb('id', '<', a.id)])]),
      );
    }
    if (anchor && c.before) {
      const a = anchor;
      q = q.where((eb) =>
        eb.or([eb('created', '>', a.created), eb.and([eb('created', '=', a.created), eb('id', '>', a.id)])]),
      );
    }
    const newestFirst = !c.before;
    const rows = await q
      .orderBy('created', newestFirst ? 'desc' : 'asc')
      .orderBy('id', newestFirst ? 'desc' : 'asc')
      .limit(c.limit + 1)
      .execute();
    const hasMore = rows.length > c.limit;
    const page = rows.slice(0, c.limit);
    return { rows: newestFirst ? page : page.reverse(), hasMore };
  }

  /**
   * Ids of the events of these projects created at or after `sinceIso`, oldest first (the live stream's
   * poll: an index-only read of events(project_id, created, id)).
   */
  recentIds(
    projectIds: string[],
    sinceIso: string,
    limit: number,
    from?: { created: string; id: string },
  ): Promise<{ id: string; project_id: string; created: string }[]> {
    if (projectIds.length === 0) return Promise.resolve([]);
    let q = this.db
      .selectFrom('events')
      .select(['id', 'project_id', 'created'])
      .where('project_id', 'in', projectIds)
      .where('created', '>=', sinceIso);
    if (from) {
      q = q.where((eb) =>
        eb.or([
          eb('created', '>', from.created),
          eb.and([eb('created', '=', from.created), eb('id', '>', from.id)]),
        ]),
      );
    }
    return q.orderBy('created', 'asc').orderBy('id', 'asc').limit(limit).execute();
  }

  /** These events, oldest first. */
  async getMany(ids: string[]): Promise<EventRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('events')
      .selectAll()
      .where('id', 'in', ids)
      .orderBy('created', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  /** A project's events after `anchor` (keyset on created, id), oldest first: a stream resuming. */
  listSince(projectId: string, anchor: { created: string; id: string }, limit: number): Promise<EventRow[]> {
    return this.db
      .selectFrom('events')
      .selectAll()
      .where('project_id', '=', projectId)
      .where((eb) =>
        eb.or([
          eb('created', '>', anchor.created),
          eb.and([eb('created', '=', anchor.created), eb('id', '>', anchor.id)]),
        ]),
      )
      .orderBy('created', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
  }

  /**
   * Deletes events created before `beforeIso`, oldest first, `batch` rows per statement (each its own short
   * transaction, so a first prune of a large log never holds SQLite's write lock for long); returns how many.
   */
  async prune(beforeIso: string, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await this.db
        .deleteFrom('events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('events')
            .select('id')
            .where('created', '<', beforeIso)
            .orderBy('created')
            .limit(batch),
        )
        .executeTakeFirst();
      const n = Number(res.numDeletedRows);
      total += n;
      if (n < batch) return total;
      // let other work use the connection between batches
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** For tests and metrics. */
  async count(projectId: string, kind?: string): Promise<number> {
    let q = this.db
      .selectFrom('events')
      .select(sql<number>`count(*)`.as('n'))
      .where('project_id', '=', projectId);
    if (kind) q = q.where('kind', '=', kind);
    const r = await q.executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
