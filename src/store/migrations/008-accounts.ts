import { type Kysely, sql } from 'kysely';

// Accounts for the dashboard (docs/webapp.md): users of an org, browser sessions (the store keeps only the
// SHA-256 of the cookie), one-time sign-in links (hashed, single use), and the key lifecycle columns: a key can
// be paused, given an expiry when it is rolled, and remembers when it was last used.
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    /** lower-cased; one account per address across the installation (sign-in is by email) */
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    /** scrypt$N$r$p$salt$hash; null until the user accepts their sign-in link */
    .addColumn('password_hash', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .addColumn('last_sign_in', 'text')
    .execute();
  await db.schema.createIndex('users_org').on('users').columns(['org_id', 'created']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    /** absolute expiry; idle expiry is last_seen + the idle setting */
    .addColumn('expires', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires').execute();

  await db.schema
    .createTable('sign_in_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('expires', 'text', (c) => c.notNull())
    .addColumn('used', 'text')
    .execute();
  await db.schema.createIndex('sign_in_tokens_user').on('sign_in_tokens').column('user_id').execute();

  await db.schema.alterTable('api_keys').addColumn('paused', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('expires', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('last_used', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('updated', 'text').execute();
  await sql`UPDATE api_keys SET updated = created WHERE updated IS NULL`.execute(db);
}
