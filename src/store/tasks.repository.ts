// Task rows are the queue. A worker claims one with a single statement, holds it by a lease it renews,
// and every later write of that run is guarded by (worker_id, attempts): once another worker has taken the
// task over, or it was cancelled, the old run's writes match no row and its result is thrown away.
import { CompiledQuery, type Kysely, sql, type Transaction, type Updateable } from 'kysely';
import { bindable, committedRead, hotStatement, type Store } from './db.js';
import type { FileRow } from './media.repository.js';
import { type Page, paginate } from './paginate.js';
import type { Database, TasksTable } from './schema.js';

/**
 * run_after for "due at once". Not the writer's clock: the API node that writes it and the worker that
 * compares it (on PostgreSQL, by the database's clock) may disagree by a few ms or more, and a task
 * must not wait for a poll because of that. Claims order by priority and creation, never by run_after.
 */
export const DUE_NOW = '1970-01-01T00:00:00.000Z';

/** a column name as written into hot SQL text (they come from TaskRow's keys, never from input) */
const TASK_COLUMN = /^[a-z_]+$/;

export type TaskRow = TasksTable;
type Db = Kysely<Database> | Transaction<Database>;

export const TASK_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface QueueStats {
  byKindStatus: { kind: string; status: string; count: number }[];
  /** pending tasks that are due */
  waiting: number;
  oldestWaitingSeconds: number;
}

/** Lower runs first. */
export const PRIORITY = { interactive: 0, automation: 10, backfill: 20 } as const;

/** One claimed run of a task: the rows it may still write are those with this worker and attempt. */
export interface Lease {
  id: string;
  workerId: string;
  attempt: number;
}

export interface ClaimOptions {
  workerId: string;
  /** ISO time the claim is made at */
  now: string;
  /** ISO time the lease runs out unless renewed */
  leaseUntil: string;
  /** 0 = no limit */
  projectConcurrency: number;
  /** the kinds this worker can run; tasks of other kinds wait for a worker that has them */
  kinds: string[];
}

export interface TaskFilter {
  status?: string;
  kind?: string;
  /** the media the task works on or writes its outputs to (tasks.media_id) */
  mediaId?: string;
  /** the automation whose run (or a run's step) the task is */
  automationId?: string;
}

interface ClaimPick {
  id: string;
  priority: number;
  created: string;
}

/** SQLite's `order by priority, created, id` (binary collation: the ids and timestamps are ASCII). */
function claimOrder(a: ClaimPick, b: ClaimPick): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class TasksRepository {
  constructor(private readonly store: Store) {}

  private get db(): Kysely<Database> {
    return this.store.db;
  }

  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insert(row: TaskRow, db: Db = this.db): Promise<void> {
    await db.insertInto('tasks').values(row).execute();
  }

  /** Inserts unless a task of the same automation for the same event exists; false when it did. */
  async insertOnce(row: TaskRow, db: Db = this.db): Promise<boolean> {
    const res = await db
      .insertInto('tasks')
      .values(row)
      .onConflict((oc) => oc.columns(['automation_id', 'trigger_event_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Where the processing tasks of these projects stand (the live stream's progress poll). */
  processingProgress(
    projectIds: string[],
  ): Promise<Pick<TaskRow, 'id' | 'project_id' | 'status' | 'progress' | 'eta' | 'updated'>[]> {
    if (projectIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('tasks')
      .select(['id', 'project_id', 'status', 'progress', 'eta', 'updated'])
      .where('status', '=', 'processing')
      .where('project_id', 'in', projectIds)
      .execute();
  }

  get(projectId: string, id: string, db: Db = this.db): Promise<TaskRow | undefined> {
    return db
      .selectFrom('tasks')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Unscoped: for the engine and tests, never for API callers. */
  getById(id: string, db: Db = this.db): Promise<TaskRow | undefined> {
    return db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(projectId: string, page: Page, filter: TaskFilter): Promise<{ rows: TaskRow[]; total: number }> {
    let q = this.db.selectFrom('tasks').where('project_id', '=', projectId);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    // indexed (project_id, media_id | automation_id, created, id): migration 010
    if (filter.mediaId) q = q.where('media_id', '=', filter.mediaId);
    if (filter.automationId) q = q.where('automation_id', '=', filter.automationId);
    return paginate(q, page);
  }

  async filesByIds(projectId: string, ids: string[], db: Db = this.db): Promise<FileRow[]> {
    if (ids.length === 0) return [];
    return db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', 'in', ids)
      .execute();
  }

  /**
   * Claims the next runnable task: a due pending one, or a processing one whose lease has run out (its
   * worker died) with attempts left, in priority then age order, skipping projects already running
   * `projectConcurrency` tasks. In the caller's transaction when it gives one (the claim and the
   * task.processing event commit together). PostgreSQL: one UPDATE over a `FOR UPDATE SKIP LOCKED` pick,
   * so concurrent workers never pick the same row and never wait on each other. SQLite: the same UPDATE;
   * its transactions begin immediate (db.ts), holding the database's single write lock from the first read.
   */
  async claim(opts: ClaimOptions, trx?: Transaction<Database>): Promise<TaskRow | undefined> {
    if (opts.kinds.length === 0) return undefined;
    if (!trx) return this.db.transaction().execute((t) => this.claim(opts, t));
    if (this.store.dialect === 'sqlite') return this.claimSqlite(trx, opts);
    if (opts.projectConcurrency > 0) {
      // With a per-project limit, claims take turns: each statement counts a project's running tasks from
      // its own snapshot, so two claims at once could both see room for one more. A transaction-scoped
      // advisory lock (per schema) orders them, and each UPDATE then sees the claims committed before it.
      await sql`select pg_advisory_xact_lock(hashtext(current_schema() || ':mediary-task-claim'))`.execute(
        trx,
      );
    }
    return this.claimPgIn(trx, opts);
  }

  /** One pick over both cases; SKIP LOCKED makes concurrent claimers pass each other's rows. */
  private claimPgIn(db: Kysely<Database>, opts: ClaimOptions): Promise<TaskRow | undefined> {
    let pick = db
      .selectFrom('tasks')
      .select('id')
      .where('kind', 'in', opts.kinds)
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('run_after', '<=', opts.now)]),
          eb.and([
            eb('status', '=', 'processing'),
            eb('lease_until', '<', opts.now),
            eb('attempts', '<', eb.ref('max_attempts')),
          ]),
        ]),
      );
    if (opts.projectConcurrency > 0) {
      pick = pick.where(
        'project_id',
        'not in',
        db
          .selectFrom('tasks')
          .select('project_id')
          .where('status', '=', 'processing')
          .where('lease_until', '>=', opts.now)
          .groupBy('project_id')
          .having((eb) => eb.fn.countAll(), '>=', opts.projectConcurrency),
      );
    }
    pick = pick.orderBy('priority').orderBy('created').orderBy('id').limit(1).forUpdate().skipLocked();
    return db
      .updateTable('tasks')
      .set({
        status: 'processing',
        attempts: sql`attempts + 1`,
        worker_id: opts.workerId,
        lease_until: opts.leaseUntil,
        started: sql`coalesce(started, ${opts.now})`,
        progress: 0,
        eta: null,
        updated: opts.now,
      })
      .where('id', 'in', pick)
      .returningAll()
      .executeTakeFirst();
  }

  /**
   * The same claim on SQLite: the first due pending row and the first lapsed one, each found by its own
   * statement on its own index (tasks_queue is in claim order, so the pending pick stops at the first due
   * row instead of reading the whole backlog), then the earlier of the two is updated by id. Same choice as
   * the single OR query, in time independent of the backlog. Three statements, not one: SQLite 3.53 runs
   * the two picks joined by UNION ALL as co-routines that read and sort every pending row (the inner
   * LIMIT 1 no longer stops the scan), ~0.4 ms with 200 queued and growing with the queue; each pick on
   * its own stays ~10 µs. Safe as three: the caller's transaction began immediate, holding the write lock.
   */
  private async claimSqlite(db: Transaction<Database>, opts: ClaimOptions): Promise<TaskRow | undefined> {
    const { now } = opts;
    const limited = opts.projectConcurrency > 0;
    const kinds = opts.kinds.map(() => '?').join(', ');
    const notBusy = limited
      ? `and project_id not in (select project_id from tasks where status = 'processing'
            and lease_until >= ? group by project_id having count(*) >= ?)`
      : '';
    const pickSql = (due: string) =>
      `select id, priority, created from tasks where ${due} and kind in (${kinds}) ${notBusy}
        order by priority, created, id limit 1`;
    const pick = [...opts.kinds, ...(limited ? [now, opts.projectConcurrency] : [])];
    const picks: [string, unknown[]][] = [
      [pickSql(`status = 'pending' and run_after <= ?`), [now, ...pick]],
      [pickSql(`status = 'processing' and lease_until < ? and attempts < max_attempts`), [now, ...pick]],
    ];
    const update = `update tasks set status = 'processing', attempts = attempts + 1,
        worker_id = ?, lease_until = ?, started = coalesce(started, ?), progress = 0, eta = null, updated = ?
      where id = ? returning *`;
    // the claim runs before every task: statements prepared once, inside the caller's transaction
    const found: ClaimPick[] = [];
    for (const [text, params] of picks) {
      const hot = hotStatement(this.store.sqlite, db, text);
      const row = hot
        ? (hot.get(params) as ClaimPick | undefined)
        : (await db.executeQuery<ClaimPick>(CompiledQuery.raw(text, params))).rows[0];
      if (row) found.push(row);
    }
    const next = found.length < 2 ? found[0] : claimOrder(found[0], found[1]) <= 0 ? found[0] : found[1];
    if (!next) return undefined;
    const params = [opts.workerId, opts.leaseUntil, now, now, next.id];
    const hot = hotStatement(this.store.sqlite, db, update);
    if (hot) return hot.get(params) as TaskRow | undefined;
    return (await db.executeQuery<TaskRow>(CompiledQuery.raw(update, params))).rows[0];
  }

  /**
   * Fails processing tasks whose lease ran out on their last attempt: their worker died every time.
   * Returns them so the caller can announce each in the same transaction.
   */
  reapExpired(db: Db, now: string): Promise<TaskRow[]> {
    return db
      .updateTable('tasks')
      .set({
        status: 'failed',
        error: 'The worker running this task stopped responding on its last attempt (its lease expired).',
        worker_id: null,
        lease_until: null,
        eta: null,
        completed: now,
        updated: now,
      })
      .where('status', '=', 'processing')
      .where('lease_until', '<', now)
      .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
      .returningAll()
      .execute();
  }

  private guarded(db: Db, lease: Lease) {
    return db
      .updateTable('tasks')
      .where('id', '=', lease.id)
      .where('worker_id', '=', lease.workerId)
      .where('attempts', '=', lease.attempt)
      .where('status', '=', 'processing');
  }

  /**
   * Whether the run still holds its task with its lease running at least until `until`: a read, so no
   * write and no commit (a renew is both).
   */
  async holds(lease: Lease, until: string): Promise<boolean> {
    const direct = committedRead(
      this.store.sqlite,
      this.db,
      `select id from tasks where id = ? and worker_id = ? and attempts = ? and status = 'processing'
        and lease_until >= ?`,
    );
    if (direct) return direct.get(lease.id, lease.workerId, lease.attempt, until) !== undefined;
    const row = await this.db
      .selectFrom('tasks')
      .select('id')
      .where('id', '=', lease.id)
      .where('worker_id', '=', lease.workerId)
      .where('attempts', '=', lease.attempt)
      .where('status', '=', 'processing')
      .where('lease_until', '>=', until)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** false when the run no longer holds the task (taken over, or cancelled). */
  async renew(lease: Lease, patch: Partial<TaskRow>, db: Db = this.db): Promise<boolean> {
    const res = await this.guarded(db, lease).set(patch).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The run's final write; undefined when it no longer holds the task. */
  async finish(db: Db, lease: Lease, patch: Partial<TaskRow>): Promise<TaskRow | undefined> {
    const set = { ...patch, worker_id: null, lease_until: null };
    const keys = Object.keys(set).filter((k) => set[k as keyof typeof set] !== undefined);
    const values = keys.map((k) => set[k as keyof typeof set]);
    // in a transaction on SQLite: prepared once per set of columns, as guarded() would write it
    const hot =
      keys.every((k) => TASK_COLUMN.test(k)) && bindable(values)
        ? hotStatement(
            this.store.sqlite,
            db,
            `update tasks set ${keys.map((k) => `${k} = ?`).join(', ')}
          where id = ? and worker_id = ? and attempts = ? and status = 'processing' returning *`,
          )
        : undefined;
    if (hot) {
      return hot.get([...values, lease.id, lease.workerId, lease.attempt]) as TaskRow | undefined;
    }
    return this.guarded(db, lease).set(set).returningAll().executeTakeFirst();
  }

  /** Gives a task back without counting the attempt (the worker is shutting down). */
  async release(lease: Lease, now: string): Promise<boolean> {
    const res = await this.guarded(this.db, lease)
      .set({
        status: 'pending',
        attempts: sql`attempts - 1`,
        worker_id: null,
        lease_until: null,
        // run_after stays as it was (due, or it would not have been claimed): writing this engine's "now"
        // could put it a few ms ahead of another engine's clock estimate and hide the task from it
        eta: null,
        updated: now,
      })
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** pending or processing → cancelled; undefined when the task was in neither state. */
  cancel(projectId: string, id: string, now: string, db: Db = this.db): Promise<TaskRow | undefined> {
    return this.changeStatus(projectId, id, ['pending', 'processing'], db, {
      status: 'cancelled',
      worker_id: null,
      lease_until: null,
      eta: null,
      completed: now,
      updated: now,
    });
  }

  /** failed or cancelled → pending with a fresh set of attempts. */
  requeue(projectId: string, id: string, now: string, db: Db = this.db): Promise<TaskRow | undefined> {
    return this.changeStatus(projectId, id, ['failed', 'cancelled'], db, {
      status: 'pending',
      attempts: 0,
      error: null,
      progress: 0,
      eta: null,
      output_file_id: null,
      results: null,
      run_after: DUE_NOW,
      worker_id: null,
      lease_until: null,
      started: null,
      completed: null,
      updated: now,
    });
  }

  /** Applies patch only while the task is in one of the from states; undefined when it was not. */
  private changeStatus(
    projectId: string,
    id: string,
    from: TaskStatus[],
    db: Db,
    patch: Updateable<TaskRow>,
  ): Promise<TaskRow | undefined> {
    return db
      .updateTable('tasks')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('status', 'in', from)
      .returningAll()
      .executeTakeFirst();
  }

  // --- workflows: a parent waits for its children ---

  /** The run's parent task stops holding a lease and waits, processing, for its children. */
  async waitForChildren(
    db: Db,
    id: string,
    workerId: string,
    attempt: number,
    now: string,
  ): Promise<boolean> {
    const res = await this.guarded(db, { id, workerId, attempt })
      .set({ worker_id: null, lease_until: null, progress: 0, eta: null, updated: now })
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The row, locked until the transaction ends (PostgreSQL; SQLite has one writer anyway). */
  lockForUpdate(db: Db, id: string): Promise<TaskRow | undefined> {
    const q = db.selectFrom('tasks').selectAll().where('id', '=', id);
    return (this.store.dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  }

  children(parentId: string, db: Db = this.db): Promise<TaskRow[]> {
    return db
      .selectFrom('tasks')
      .selectAll()
      .where('parent_id', '=', parentId)
      .orderBy('created')
      .orderBy('id')
      .execute();
  }

  /** Unguarded write for rows no worker holds (a waiting workflow parent); the row after it. */
  patch(db: Db, id: string, patch: Updateable<TaskRow>): Promise<TaskRow | undefined> {
    return db.updateTable('tasks').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
  }

  /** Cancels a parent's children that have not ended; returns them. */
  cancelChildren(db: Db, parentId: string, now: string): Promise<TaskRow[]> {
    return db
      .updateTable('tasks')
      .set({
        status: 'cancelled',
        worker_id: null,
        lease_until: null,
        eta: null,
        completed: now,
        updated: now,
      })
      .where('parent_id', '=', parentId)
      .where('status', 'in', ['pending', 'processing'])
      .returningAll()
      .execute();
  }

  /** A pending task waiting out a retry delay becomes due now. */
  async makeDue(projectId: string, id: string, now: string): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ run_after: DUE_NOW, updated: now })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('run_after', '>', now)
      .execute();
  }

  /**
   * The database's clock in ms since the epoch. Leases written by one machine are compared by another, so
   * workers on PostgreSQL keep time by it rather than by their own clocks.
   */
  async dbNow(): Promise<number> {
    if (this.store.dialect !== 'postgres') return Date.now();
    const r = await sql<{ ms: number }>`select extract(epoch from clock_timestamp()) * 1000 as ms`.execute(
      this.db,
    );
    return Number(r.rows[0].ms);
  }

  /** Counts by kind and status, and the due pending tasks (how many, the oldest's wait): for /metrics. */
  async queueStats(nowMs: number): Promise<QueueStats> {
    const now = new Date(nowMs).toISOString();
    const byKindStatus = await this.db
      .selectFrom('tasks')
      .select(['kind', 'status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy(['kind', 'status'])
      .execute();
    // a task waits from when it came due: created, or the end of its retry delay
    const due = await this.db
      .selectFrom('tasks')
      .select((eb) => [
        eb.fn.countAll<number>().as('n'),
        eb.fn.min(sql<string>`case when run_after > created then run_after else created end`).as('since'),
      ])
      .where('status', '=', 'pending')
      .where('run_after', '<=', now)
      .executeTakeFirstOrThrow();
    const since = due.since ? Date.parse(String(due.since)) : Number.NaN;
    return {
      byKindStatus: byKindStatus.map((r) => ({ kind: r.kind, status: r.status, count: Number(r.count) })),
      waiting: Number(due.n),
      oldestWaitingSeconds: Number.isFinite(since) ? Math.max(0, (nowMs - since) / 1000) : 0,
    };
  }

  /** How many rows are claimable or running; for tests and metrics. */
  async countActive(): Promise<number> {
    const r = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['pending', 'processing'])
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Which of these task ids are running somewhere (their work dirs must stay); any project. */
  async processingAmong(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('tasks')
      .select('id')
      .where('id', 'in', ids)
      .where('status', '=', 'processing')
      .execute();
    return new Set(rows.map((r) => r.id));
  }
}
