import type { Kysely } from 'kysely';

// Failed sign-ins, shared by every API process (docs/webapp.md): the throttle counts them per account and
// per client address over 15 minutes, so a cluster of N API nodes does not give N times the tries. Rows
// older than the window are pruned as failures come in.
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('sign_in_failures_key_at')
    .on('sign_in_failures')
    .columns(['key', 'at'])
    .execute();
  await db.schema.createIndex('sign_in_failures_at').on('sign_in_failures').column('at').execute();
}
