// Opens the store: SQLite (better-sqlite3, WAL) for the embedded default, PostgreSQL for scale-out.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL pool (LISTEN/NOTIFY needs its own client); undefined on SQLite */
  pgPool?: pg.Pool;
  /** the schema on PostgreSQL (from ?schema=), for LISTEN/NOTIFY channel names */
  pgSchema?: string;
  close(): Promise<void>;
}

function pgTypes() {
  // bigint (filesize, bitrate) and numeric come back as strings by default; our values fit in a double
  const types = pg.types;
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === types.builtins.INT8 || oid === types.builtins.NUMERIC) return (v: string) => Number(v);
      // biome-ignore lint/suspicious/noExplicitAny: pg's overloads
      return types.getTypeParser(oid, format as any);
    },
  };
}

export function openStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('schema must be a lowercase identifier');
  const pool = new pg.Pool({
    connectionString: url.toString(),
    max: 10,
    types: pgTypes(),
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', pgPool: pool, pgSchema: schema, close: () => db.destroy() };
}

export async function migrate(store: Store): Promise<void> {
  if (store.dialect === 'postgres' && store.pgSchema) {
    await sql`create schema if not exists ${sql.id(store.pgSchema)}`.execute(store.db);
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`, {
      cause: error,
    });
  }
}
