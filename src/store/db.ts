// Opens the store: SQLite (better-sqlite3, WAL) for the embedded default, PostgreSQL for scale-out.
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';
import pg from 'pg';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';
import { CommitWatch } from './commit-watch.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL pool (LISTEN/NOTIFY needs its own client); undefined on SQLite */
  pgPool?: pg.Pool;
  /** the better-sqlite3 handle, for the few hot reads that skip the query builder; undefined on PostgreSQL */
  sqlite?: SQLite.Database;
  /** SQLite in a file: tells whether anything was committed since (commit-watch.ts); for hot-row caches */
  commits?: CommitWatch;
  /** the schema on PostgreSQL (from ?schema=), for LISTEN/NOTIFY channel names */
  pgSchema?: string;
  /**
   * SQLite in a file: moves WAL checkpoints to a thread of their own (checkpointer.ts; `mediary start` does
   * this); close() stops it. Undefined on PostgreSQL and for an in-memory database.
   */
  startCheckpointer?(opts?: { everyMs?: number; onError?: (message: string) => void }): Checkpointer;
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

/**
 * Kysely prepares a statement for every query; preparing costs more than running a small query, so keep
 * prepared statements by SQL text. Safe because Kysely runs each statement to completion synchronously.
 */
function cachingStatements(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = sqlite.prepare(sqlText);
        if (cache.size >= 1000) cache.delete(cache.keys().next().value as string);
        cache.set(sqlText, stmt);
      }
      return stmt;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

/**
 * SQLite transactions start with `begin immediate`: they take the database's write lock at once (waiting
 * up to busy_timeout for another process to let go) instead of upgrading a read lock on their first write,
 * which fails at once with SQLITE_BUSY when another process writes meanwhile. Within this process the one
 * connection serializes transactions anyway, so it costs nothing here.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly options: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(options);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.options);
  }
}

const hotStatements = new WeakMap<SQLite.Database, Map<string, SQLite.Statement>>();

/**
 * A fixed hot statement (an event's insert, its fan-out lookups) run straight on the SQLite connection,
 * prepared once, when the caller is inside one of this process's transactions: the connection is the
 * transaction's until it commits, so the statement is part of it, without the query builder's per-call
 * build and async hand-off (~40 µs a statement here, several times the statement itself). Undefined on
 * PostgreSQL and outside a transaction (another flow may hold the connection then): use the builder.
 */
export function hotStatement(
  sqlite: SQLite.Database | undefined,
  db: { isTransaction: boolean },
  sqlText: string,
): SQLite.Statement | undefined {
  if (!sqlite || !db.isTransaction) return undefined;
  return preparedOnce(sqlite, sqlText);
}

/**
 * A fixed read run straight on the SQLite connection, prepared once, when it would read what the query
 * builder reads: outside any transaction, the caller's or another flow's. The builder would wait for the
 * connection while another flow's transaction holds it and then read committed rows; a direct read at that
 * moment would see that transaction's uncommitted writes, so then this gives undefined (use the builder).
 * Undefined on PostgreSQL too.
 */
export function committedRead(
  sqlite: SQLite.Database | undefined,
  db: { isTransaction: boolean },
  sqlText: string,
): SQLite.Statement | undefined {
  if (!sqlite || db.isTransaction || sqlite.inTransaction) return undefined;
  return preparedOnce(sqlite, sqlText);
}

function preparedOnce(sqlite: SQLite.Database, sqlText: string): SQLite.Statement {
  let cache = hotStatements.get(sqlite);
  if (!cache) {
    cache = new Map();
    hotStatements.set(sqlite, cache);
  }
  let stmt = cache.get(sqlText);
  if (!stmt) {
    stmt = sqlite.prepare(sqlText);
    cache.set(sqlText, stmt);
  }
  return stmt;
}

/** Whether better-sqlite3 binds these values as they are (it refuses booleans, objects and undefined). */
export function bindable(values: unknown[]): boolean {
  return values.every((v) => v === null || typeof v === 'string' || typeof v === 'number');
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
    const db = new Kysely<Database>({
      dialect: new ImmediateSqliteDialect({ database: cachingStatements(sqlite) }),
    });
    let checkpointer: Checkpointer | undefined;
    const commits = path === ':memory:' ? undefined : new CommitWatch(path);
    return {
      db,
      dialect: 'sqlite',
      sqlite,
      commits,
      startCheckpointer:
        path === ':memory:'
          ? undefined
          : (opts) => {
              checkpointer ??= startCheckpointer(sqlite, path, opts);
              return checkpointer;
            },
      close: async () => {
        // the thread first, then the main connection, which (closing last) checkpoints the rest and removes the WAL
        await checkpointer?.stop();
        await db.destroy();
        // only now: closing its descriptor of the -shm file would drop the connection's locks on it
        commits?.close();
      },
    };
  }
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  // libpq falls back to the OS user; pg only looks at $USER, which services and CI often lack (config.ts
  // puts PGUSER into the URL when it is set)
  if (!url.username) url.username = userInfo().username;
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
  if (store.dialect === 'postgres' && store.pgSchema && store.pgPool) {
    // on a connection of its own, before the pool opens any: a backend that started while the schema
    // was missing can keep resolving its search_path without it
    const client = new pg.Client(store.pgPool.options);
    await client.connect();
    try {
      await client.query(`create schema if not exists "${store.pgSchema}"`);
    } catch (err) {
      // two processes creating the same schema at once: the loser sees a unique violation
      if ((err as { code?: string }).code !== '23505') throw err;
    } finally {
      await client.end();
    }
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    // Kysely looks for its bookkeeping tables across all schemas unless told which one is ours
    // parts of the server add tables independently; each migration only adds, so order across them is free
    allowUnorderedMigrations: true,
    migrationTableSchema: store.dialect === 'postgres' ? (store.pgSchema ?? 'public') : undefined,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`, {
      cause: error,
    });
  }
}
