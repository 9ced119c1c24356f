import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('webhook_secret_enc', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .addUniqueConstraint('projects_org_name', ['org_id', 'name'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text')
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_enc', 'text', (c) => c.notNull())
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('revoked', 'text')
    .execute();
  await db.schema.createIndex('api_keys_project').on('api_keys').column('project_id').execute();

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('title', 'text')
    .addColumn('alt', 'text')
    .addColumn('metadata', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('media_project_created')
    .on('media')
    .columns(['project_id', 'created', 'id'])
    .execute();

  await db.schema
    .createTable('files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('media_id', 'text', (c) => c.notNull().references('media.id'))
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('codec', 'text')
    .addColumn('container', 'text')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('orientation', 'text')
    .addColumn('rotation', 'double precision')
    .addColumn('transparency', 'integer')
    .addColumn('animated', 'integer')
    .addColumn('frames', 'integer')
    .addColumn('duration', 'double precision')
    .addColumn('fps', 'double precision')
    .addColumn('filesize', 'bigint', (c) => c.notNull())
    .addColumn('bitrate', 'bigint')
    .addColumn('language', 'text')
    .addColumn('label', 'text')
    .addColumn('ref', 'text')
    .addColumn('folder', 'text')
    .addColumn('filename', 'text')
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('placeholder', 'text')
    .addColumn('background', 'text')
    .addColumn('metadata', 'text')
    .addColumn('original', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text')
    .addColumn('blob_key', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('files_project_created')
    .on('files')
    .columns(['project_id', 'created', 'id'])
    .execute();
  await db.schema.createIndex('files_media').on('files').column('media_id').execute();
  await db.schema.createIndex('files_project_path').on('files').columns(['project_id', 'path']).execute();
}
