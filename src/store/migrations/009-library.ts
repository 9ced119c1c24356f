import type { Kysely } from 'kysely';

// The library (GET /media filters, docs/webapp.md): a media's original is looked up per row by
// (project_id, media_id); the media list walks media(project_id, created, id) (001) newest first.
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('files_project_media')
    .on('files')
    .columns(['project_id', 'media_id', 'object'])
    .execute();
}
