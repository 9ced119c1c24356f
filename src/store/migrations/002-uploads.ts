import { type Kysely, sql } from 'kysely';

// Resumable upload sessions (chunked PUT with Content-Range, and tus). The row is the session's whole state,
// so any process sharing the database (and the data dir, where the bytes wait) can take the next chunk.
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('folder', 'text')
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('total', 'bigint')
    .addColumn('chunks', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('received_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('file_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('meta', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  // one open chunked session per target: the first chunks of an upload may arrive together
  await db.schema
    .createIndex('uploads_open_put')
    .on('uploads')
    .columns(['project_id', 'path', 'total'])
    .unique()
    .where(sql.ref('status'), '=', 'receiving')
    .where(sql.ref('protocol'), '=', 'put')
    .execute();
  await db.schema.createIndex('uploads_expires').on('uploads').column('expires').execute();
}
