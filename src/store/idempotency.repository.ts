// Idempotency-Key rows (migration 007). Every write is a compare-and-set on the owner token, so two API
// nodes racing for one key agree on a single winner through the database alone.
import type { Kysely } from 'kysely';
import type { Database, IdempotencyKeysTable } from './schema.js';

export type IdempotencyRow = IdempotencyKeysTable;

export class IdempotencyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts the row unless the key is taken; true when this call took it. */
  async insert(row: IdempotencyRow): Promise<boolean> {
    const res = await this.db
      .insertInto('idempotency_keys')
      .values(row)
      .onConflict((oc) => oc.columns(['project_id', 'key']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  get(projectId: string, key: string): Promise<IdempotencyRow | undefined> {
    return this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('key', '=', key)
      .executeTakeFirst();
  }

  /** Takes over a row that expired or whose holder died (lock passed); true when this call won. */
  async replace(old: IdempotencyRow, row: IdempotencyRow): Promise<boolean> {
    const res = await this.db
      .updateTable('idempotency_keys')
      .set(row)
      .where('project_id', '=', old.project_id)
      .where('key', '=', old.key)
      .where('owner', '=', old.owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async finish(
    projectId: string,
    key: string,
    owner: string,
    response: { status: number; type: string | null; body: string },
  ): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({
        locked_until: null,
        response_status: response.status,
        response_type: response.type,
        response_body: response.body,
      })
      .where('project_id', '=', projectId)
      .where('key', '=', key)
      .where('owner', '=', owner)
      .execute();
  }

  async release(projectId: string, key: string, owner: string): Promise<void> {
    await this.db
      .deleteFrom('idempotency_keys')
      .where('project_id', '=', projectId)
      .where('key', '=', key)
      .where('owner', '=', owner)
      .where('response_status', 'is', null)
      .execute();
  }

  async prune(now: string): Promise<number> {
    const res = await this.db.deleteFrom('idempotency_keys').where('expires', '<', now).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
