import type { Kysely } from 'kysely';

// GET /tasks?media_id= and ?automation_id= (docs/tasks.md): a media's tasks (on its files, or making its
// outputs: tasks.media_id) and an automation's runs, newest first, each one index range in the list's order.
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('tasks_project_media_created')
    .on('tasks')
    .columns(['project_id', 'media_id', 'created', 'id'])
    .execute();
  await db.schema
    .createIndex('tasks_project_automation_created')
    .on('tasks')
    .columns(['project_id', 'automation_id', 'created', 'id'])
    .execute();
}
