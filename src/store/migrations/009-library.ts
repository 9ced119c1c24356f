import { type Kysely, sql } from 'kysely';

// The library (GET /media filters, docs/webapp.md). A media's kind, folder and filename are its original's,
// looked up per media row: this index answers that lookup alone (the seek by project and media, the order
// original-first then oldest, and the columns the filters read), so a filtered page costs one index probe
// per media it passes over. The media list itself walks media(project_id, created, id) (001).
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index files_media_original on files (project_id, media_id, object, original desc, created, id, kind, folder, filename)`.execute(
    db,
  );
}
