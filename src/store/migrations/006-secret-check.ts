import type { Kysely } from 'kysely';

// Facts about this installation that every node must agree on, one row each. The first is the secret's
// check value: an HMAC of a constant under the server secret, so a node with another secret refuses to start
// instead of failing every decrypt (signatures 500, webhooks never signed) while answering reads.
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('installation')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .execute();
}
