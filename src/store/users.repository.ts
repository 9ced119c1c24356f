// Users, browser sessions and one-time sign-in links (migration 008). Sessions and links are found by the
// SHA-256 of what the browser holds; the plain values never reach the store.
import type { Kysely } from 'kysely';
import type { Database, SessionsTable, SignInTokensTable, UsersTable } from './schema.js';

export type UserRow = UsersTable;
export type SessionRow = SessionsTable;
export type SignInTokenRow = SignInTokensTable;

/** A session with what a request needs of its user. */
export interface SessionAuthRow extends SessionRow {
  org_id: string;
  role: UserRow['role'];
  email: string;
}

export class UsersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async countUsers(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async countOwners(orgId: string): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_id', '=', orgId)
      .where('role', '=', 'owner')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async insertUser(row: UserRow): Promise<void> {
    await this.db.insertInto('users').values(row).execute();
  }

  async listUsers(orgId?: string): Promise<UserRow[]> {
    let q = this.db.selectFrom('users').selectAll().orderBy('created').orderBy('id');
    if (orgId) q = q.where('org_id', '=', orgId);
    return q.execute();
  }

  async getUser(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findUserByEmail(email: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  async updateUser(id: string, patch: Partial<Omit<UserRow, 'id'>>): Promise<void> {
    await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
  }

  /**
   * Demotes an owner only while another owner of the org remains (one statement, so two owners demoting each
   * other at the same moment on SQLite cannot both succeed). False when it would leave the org without one.
   */
  async demoteOwner(id: string, orgId: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('users')
      .set({ role: 'member', updated: at })
      .where('id', '=', id)
      .where((eb) =>
        eb(
          eb
            .selectFrom('users as o')
            .select((o) => o.fn.countAll<number>().as('n'))
            .where('o.org_id', '=', orgId)
            .where('o.role', '=', 'owner')
            .where('o.id', '<>', id),
          '>',
          0,
        ),
      )
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Removes a user with their sessions and links, in one transaction. */
  async deleteUser(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
      await trx.deleteFrom('sign_in_tokens').where('user_id', '=', id).execute();
      await trx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  // --- sessions ---

  async insertSession(row: SessionRow): Promise<void> {
    await this.db.insertInto('sessions').values(row).execute();
  }

  async findSession(idHash: string): Promise<SessionAuthRow | undefined> {
    return this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('sessions')
      .select(['users.org_id as org_id', 'users.role as role', 'users.email as email'])
      .where('sessions.id_hash', '=', idHash)
      .executeTakeFirst();
  }

  async touchSession(idHash: string, at: string): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen: at }).where('id_hash', '=', idHash).execute();
  }

  async updateSession(idHash: string, patch: Partial<Omit<SessionRow, 'id_hash'>>): Promise<void> {
    await this.db.updateTable('sessions').set(patch).where('id_hash', '=', idHash).execute();
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteSessionsOf(userId: string): Promise<number> {
    const res = await this.db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Sessions past their absolute expiry or idle since before `idleBefore`. */
  async pruneSessions(at: string, idleBefore: string): Promise<void> {
    await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('expires', '<=', at), eb('last_seen', '<', idleBefore)]))
      .execute();
  }

  // --- sign-in links ---

  async insertToken(row: SignInTokenRow): Promise<void> {
    await this.db.insertInto('sign_in_tokens').values(row).execute();
  }

  async findToken(tokenHash: string): Promise<SignInTokenRow | undefined> {
    return this.db
      .selectFrom('sign_in_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  /** Marks a link used unless it already was: true for the one caller that consumed it. */
  async consumeToken(tokenHash: string, at: string): Promise<boolean> {
    const res = await this.db
      .updateTable('sign_in_tokens')
      .set({ used: at })
      .where('token_hash', '=', tokenHash)
      .where('used', 'is', null)
      .where('expires', '>', at)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Ends every unused link of a user (a new one replaces them). */
  async retireTokensOf(userId: string, at: string): Promise<void> {
    await this.db
      .updateTable('sign_in_tokens')
      .set({ used: at })
      .where('user_id', '=', userId)
      .where('used', 'is', null)
      .execute();
  }

  // --- failed sign-ins, shared by every process (the throttle) ---

  async recordFailures(keys: string[], at: string): Promise<void> {
    await this.db
      .insertInto('sign_in_failures')
      .values(keys.map((key) => ({ key, at })))
      .execute();
  }

  /** The times of a key's newest `limit` failures since `since`, newest first. */
  async recentFailures(key: string, since: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('sign_in_failures')
      .select('at')
      .where('key', '=', key)
      .where('at', '>', since)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.at);
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('key', '=', key).execute();
  }

  async pruneFailures(before: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('at', '<=', before).execute();
  }
}
