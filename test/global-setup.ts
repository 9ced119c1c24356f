// PostgreSQL test schemas are dropped here, once before and once after the whole run, never while test
// files run side by side: Kysely's migrator lists the tables of every schema, and a schema dropped by
// another file in the middle of that listing fails the migration with "schema does not exist".
import { userInfo } from 'node:os';
import pg from 'pg';

async function dropTestSchemas(): Promise<void> {
  const base = process.env.MEDIARY_TEST_DATABASE_URL;
  if (!base) return;
  const url = new URL(base);
  url.username ||= userInfo().username;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "select nspname from pg_namespace where nspname ~ '^(t|wh)_[a-z0-9]+$'",
    );
    for (const { nspname } of rows) await client.query(`drop schema if exists "${nspname}" cascade`);
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<void> {
  await dropTestSchemas();
}

export async function teardown(): Promise<void> {
  await dropTestSchemas();
}
