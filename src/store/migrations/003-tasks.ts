import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('input_file_id', 'text')
    .addColumn('input_url', 'text')
    .addColumn('input_snapshot', 'text')
    .addColumn('media_id', 'text')
    .addColumn('output_file_id', 'text')
    .addColumn('results', 'text')
    .addColumn('webhook_url', 'text')
    .addColumn('error', 'text')
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('eta', 'integer')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('worker_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('automation_id', 'text')
    .addColumn('parent_id', 'text')
    .addColumn('started', 'text')
    .addColumn('completed', 'text')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  // the claim: due pending rows in priority order, and processing rows whose lease has passed
  await db.schema
    .createIndex('tasks_queue')
    .on('tasks')
    .columns(['status', 'priority', 'created', 'id'])
    .execute();
  await db.schema.createIndex('tasks_lease').on('tasks').columns(['status', 'lease_until']).execute();
  await db.schema
    .createIndex('tasks_project_created')
    .on('tasks')
    .columns(['project_id', 'created', 'id'])
    .execute();
}
