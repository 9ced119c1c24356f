// The webhook outbox. Rows are claimed with a lease in one statement (PostgreSQL: FOR UPDATE SKIP LOCKED, so
// several dispatchers never take the same row; SQLite: one writer at a time makes the statement atomic).

import type SQLite from 'better-sqlite3';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Dialect, hotStatement } from './db.js';
import { type Page, paginate } from './paginate.js';
import type {
  Database,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
} from './schema.js';

export type DeliveryRow = WebhookDeliveriesTable;
export type AttemptRow = WebhookAttemptsTable;
export type EndpointRow = WebhookEndpointsTable;
type Db = Kysely<Database> | Transaction<Database>;

export interface DeliveryFilter extends Page {
  status?: DeliveryRow['status'];
  taskId?: string;
  endpointId?: string;
}

export type FinishPatch = Pick<
  DeliveryRow,
  'status' | 'attempts' | 'next_attempt_at' | 'last_status' | 'last_error' | 'updated'
>;

export class WebhooksRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly sqlite?: SQLite.Database,
  ) {}

  async insertDelivery(row: DeliveryRow, db: Db = this.db): Promise<void> {
    await db.insertInto('webhook_deliveries').values(row).execute();
  }

  async getDelivery(projectId: string, id: string): Promise<DeliveryRow | undefined> {
    return this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  listDeliveries(projectId: string, f: DeliveryFilter): Promise<{ rows: DeliveryRow[]; total: number }> {
    let q = this.db.selectFrom('webhook_deliveries').where('project_id', '=', projectId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.taskId) q = q.where('task_id', '=', f.taskId);
    if (f.endpointId) q = q.where('endpoint_id', '=', f.endpointId);
    return paginate(q, f);
  }

  async attemptsOf(deliveryIds: string[]): Promise<AttemptRow[]> {
    if (deliveryIds.length === 0) return [];
    return this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', 'in', deliveryIds)
      .orderBy('delivery_id')
      .orderBy('attempt')
      .execute();
  }

  /** Leases up to `limit` due rows to `owner` until `leaseUntil`; returns them. */
  async claimDue(nowIso: string, leaseUntil: string, owner: string, limit: number): Promise<DeliveryRow[]> {
    return this.db
      .updateTable('webhook_deliveries')
      .set({ lease_until: leaseUntil, lease_owner: owner })
      .where('id', 'in', (eb) => {
        const due = eb
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', nowIso)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', nowIso)]))
          .orderBy('next_attempt_at')
          .limit(limit);
        return this.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returningAll()
      .execute();
  }

  /**
   * Records one attempt and the delivery's new state, only while `owner` still holds the lease. False when
   * the lease was lost (this process stalled past it and another dispatcher took the row over).
   */
  async finishAttempt(id: string, owner: string, attempt: AttemptRow, patch: FinishPatch): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('webhook_deliveries')
        .set({ ...patch, lease_until: null, lease_owner: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await trx.insertInto('webhook_attempts').values(attempt).execute();
      return true;
    });
  }

  /** Makes a delivery due now (manual retry); false when it does not exist in the project. */
  async requeue(projectId: string, id: string, nowIso: string, db: Db = this.db): Promise<boolean> {
    const res = await db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: nowIso, updated: nowIso })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The earliest time a pending row can be claimed (its due time, or its lease's end), or null. */
  async nextDue(): Promise<string | null> {
    const { rows } = await sql<{ due: string | null }>`
      select min(case when lease_until is not null and lease_until > next_attempt_at
                      then lease_until else next_attempt_at end) as due
      from webhook_deliveries where status = 'pending'`.execute(this.db);
    return rows[0]?.due ?? null;
  }

  // --- webhook endpoints ---

  async insertEndpoint(row: EndpointRow): Promise<void> {
    await this.db.insertInto('webhook_endpoints').values(row).execute();
  }

  getEndpoint(projectId: string, id: string, db: Db = this.db): Promise<EndpointRow | undefined> {
    return db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  listEndpoints(projectId: string, page: Page): Promise<{ rows: EndpointRow[]; total: number }> {
    return paginate(this.db.selectFrom('webhook_endpoints').where('project_id', '=', projectId), page);
  }

  updateEndpoint(
    projectId: string,
    id: string,
    patch: Partial<EndpointRow>,
  ): Promise<EndpointRow | undefined> {
    return this.db
      .updateTable('webhook_endpoints')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async deleteEndpoint(projectId: string, id: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('webhook_endpoints')
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** The project's active endpoints (topics are matched by the caller). */
  async activeEndpoints(projectId: string, db: Db = this.db): Promise<EndpointRow[]> {
    const hot = hotStatement(
      this.sqlite,
      db,
      "select * from webhook_endpoints where project_id = ? and status = 'active'",
    );
    if (hot) return hot.all(projectId) as EndpointRow[];
    return db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('status', '=', 'active')
      .execute();
  }

  /** Inserts unless this endpoint already has a delivery of this event. */
  async insertDeliveryOnce(row: DeliveryRow, db: Db = this.db): Promise<void> {
    await db
      .insertInto('webhook_deliveries')
      .values(row)
      .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
      .execute();
  }
}
