import type { Kysely } from 'kysely';

// Events (the outbox every state change writes in its own transaction), automations, webhook endpoints, and
// what ties them together: a task remembers the event that started it (one run per event and automation),
// a delivery remembers its endpoint and event (one delivery per event and endpoint), a media remembers when
// its first file was announced (media.created fires once, even for two first files at once).
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on current types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_project_created')
    .on('events')
    .columns(['project_id', 'created', 'id'])
    .execute();
  await db.schema
    .createIndex('events_project_kind_created')
    .on('events')
    .columns(['project_id', 'kind', 'created', 'id'])
    .execute();
  await db.schema.createIndex('events_created').on('events').column('created').execute();

  await db.schema
    .createTable('automations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('trigger_event', 'text')
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('automations_project_created')
    .on('automations')
    .columns(['project_id', 'created', 'id'])
    .execute();
  await db.schema
    .createIndex('automations_trigger')
    .on('automations')
    .columns(['project_id', 'trigger_event', 'status'])
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('topics', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('updated', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_endpoints_project')
    .on('webhook_endpoints')
    .columns(['project_id', 'created', 'id'])
    .execute();

  await db.schema.alterTable('webhook_deliveries').addColumn('endpoint_id', 'text').execute();
  await db.schema.alterTable('webhook_deliveries').addColumn('event_id', 'text').execute();
  await db.schema
    .createIndex('webhook_deliveries_endpoint_event')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'event_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_endpoint')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'created'])
    .execute();

  // the steps a workflow parent or step spawns (JSON), and the event that started an automation run
  await db.schema.alterTable('tasks').addColumn('steps', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('trigger_event_id', 'text').execute();
  await db.schema
    .createIndex('tasks_automation_event')
    .on('tasks')
    .columns(['automation_id', 'trigger_event_id'])
    .unique()
    .execute();
  await db.schema.createIndex('tasks_parent').on('tasks').columns(['parent_id', 'created']).execute();

  await db.schema.alterTable('media').addColumn('announced', 'text').execute();
}
