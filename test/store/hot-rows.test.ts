// Hot file rows on SQLite (store/hot-rows.ts, store/commit-watch.ts): a row read again comes from memory only
// while nothing at all was committed since, by this connection, another one, or another process.
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';
import { CommitWatch } from '../../src/store/commit-watch.js';
import { HotRows } from '../../src/store/hot-rows.js';

const key = 'mediary_test_key_hot_rows_0123456789';

async function start(dataDir: string, env: Record<string, string> = {}) {
  const ctx = await createContext(
    loadConfig({
      MEDIARY_DATA_DIR: dataDir,
      MEDIARY_LOG_LEVEL: 'silent',
      MEDIARY_INITIAL_API_KEY: key,
      MEDIARY_AUTO_POSTER: 'false',
      ...env,
    }),
  );
  await ctx.projects.bootstrap(key);
  const auth = (await ctx.projects.authenticate(key))!;
  const png = join(dataDir, 'in.png');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } })
    .png()
    .toFile(png);
  const row = await ctx.ingest.ingestLocalFile(auth, png, { createdBy: auth.keyId });
  return { ctx, file: { id: row.id, project_id: auth.projectId } };
}

describe('hot file rows (sqlite)', () => {
  let dataDir: string;
  let ctx: AppContext;
  let file: { id: string; project_id: string };
  const get = () => ctx.repos.media.getFile(file.project_id, file.id);
  const dbPath = () => join(dataDir, 'mediary.db');

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mediary-hot-rows-'));
    ({ ctx, file } = await start(dataDir));
  });
  afterEach(async () => {
    await ctx?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves a row read again from memory while nothing is committed, frozen', async () => {
    const first = await get();
    const again = await get();
    expect(again).toBe(first); // the same object: no read
    expect(Object.isFrozen(again)).toBe(true);
    expect(() => {
      (again as { folder: string | null }).folder = 'changed';
    }).toThrow(TypeError);
    expect((await get())?.folder).toBe(first?.folder);
  });

  it("reads again after this process's own commit", async () => {
    const first = await get();
    await ctx.repos.media.updateFile(file.project_id, file.id, { folder: 'mine' });
    const after = await get();
    expect(after).not.toBe(first);
    expect(after?.folder).toBe('mine');
    // a commit to another table makes it stale as well: any commit does
    const third = await get();
    expect(third).toBe(after);
    await ctx.store.db
      .updateTable('projects')
      .set({ name: 'renamed' })
      .where('id', '=', file.project_id)
      .execute();
    expect(await get()).not.toBe(after);
  });

  it("sees another connection's commit at once, and its delete", async () => {
    await get();
    const other = new SQLite(dbPath());
    try {
      other.prepare('update files set folder = ? where id = ?').run('theirs', file.id);
      expect((await get())?.folder).toBe('theirs');
      other.prepare('delete from files where id = ?').run(file.id);
      expect(await get()).toBeUndefined();
    } finally {
      other.close();
    }
  });

  it("sees another process's commit at once", async () => {
    expect((await get())?.folder).not.toBe('from-a-child');
    const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(process.argv[1]);
         db.pragma('busy_timeout = 5000');
         db.prepare("update files set folder = 'from-a-child' where id = ?").run(process.argv[2]); db.close();`,
        dbPath(),
        file.id,
      ],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    expect((await get())?.folder).toBe('from-a-child');
  });

  it("the checkpointer's passive checkpoint keeps the rows; a WAL reset reads again; commits after either count", async () => {
    const first = await get();
    const [passive] = ctx.store.sqlite!.pragma('wal_checkpoint(PASSIVE)') as { checkpointed: number }[];
    expect(passive.checkpointed).toBeGreaterThan(0);
    expect(await get()).toBe(first);
    await ctx.repos.media.updateFile(file.project_id, file.id, { folder: 'after-checkpoint' });
    expect((await get())?.folder).toBe('after-checkpoint');
    // TRUNCATE empties the WAL and rewrites the header: a read, never a stale row
    ctx.store.sqlite!.pragma('wal_checkpoint(TRUNCATE)');
    expect((await get())?.folder).toBe('after-checkpoint');
    await ctx.repos.media.updateFile(file.project_id, file.id, { folder: 'after-truncate' });
    expect((await get())?.folder).toBe('after-truncate');
  });

  it('GET /files/{id} answers what PATCH wrote, and what another process wrote', async () => {
    const { buildApp } = await import('../../src/http/app.js');
    const app = await buildApp(ctx, { logger: false });
    try {
      const headers = { authorization: `Bearer ${key}`, 'accept-version': '2025-08-20' };
      const url = `/files/${file.id}`;
      expect((await app.inject({ method: 'GET', url, headers })).json().folder).toBeUndefined();
      await app.inject({ method: 'PATCH', url, headers, payload: { folder: 'patched' } });
      expect((await app.inject({ method: 'GET', url, headers })).json().folder).toBe('patched');
      const other = new SQLite(dbPath());
      other.prepare('update files set filename = ? where id = ?').run('renamed.png', file.id);
      other.close();
      expect((await app.inject({ method: 'GET', url, headers })).json().filename).toBe('renamed.png');
    } finally {
      await app.close();
    }
  });

  it('MEDIARY_HOT_ROWS=false reads every time', async () => {
    await ctx.close();
    ({ ctx, file } = await start(await mkdtemp(join(dataDir, 'off-')), { MEDIARY_HOT_ROWS: 'false' }));
    const first = await get();
    expect(await get()).not.toBe(first);
    expect(await get()).toStrictEqual(first);
  });
});

describe('CommitWatch', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-commit-watch-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('changes its number with every commit and only then', () => {
    const path = join(dir, 'x.db');
    const db = new SQLite(path);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (v integer)');
    const watch = new CommitWatch(path);
    try {
      const g0 = watch.current();
      expect(g0).toBeTypeOf('number');
      expect(watch.current()).toBe(g0);
      db.prepare('select * from t').all(); // reads publish nothing
      expect(watch.current()).toBe(g0);
      db.prepare('insert into t values (1)').run();
      const g1 = watch.current();
      expect(g1).not.toBe(g0);
      expect(watch.current()).toBe(g1);
      // a transaction rolled back commits nothing
      db.exec('begin immediate; insert into t values (2); rollback');
      expect(watch.current()).toBe(g1);
    } finally {
      db.close();
      watch.close();
    }
  });

  it('HotRows keeps at most its bound, the oldest going first', () => {
    const path = join(dir, 'bound.db');
    const db = new SQLite(path);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (v integer)');
    db.prepare('select * from t').all();
    const watch = new CommitWatch(path);
    const rows = new HotRows<{ k: string }>(watch, 3);
    let reads = 0;
    const get = (k: string) =>
      rows.get(k, () => {
        reads++;
        return { k };
      });
    try {
      for (const k of ['a', 'b', 'c', 'd']) get(k);
      expect(rows.size).toBe(3);
      expect(reads).toBe(4);
      get('d'); // kept
      expect(reads).toBe(4);
      get('a'); // went first
      expect(reads).toBe(5);
      expect(rows.size).toBe(3);
    } finally {
      watch.close();
      db.close();
    }
  });

  it('shares one descriptor of the -shm per process and closes it with the last watch', () => {
    // closing a descriptor drops every POSIX lock the process holds on the file, SQLite's WAL locks included:
    // one store closing must not close it under another store of the same database
    const path = join(dir, 'shared.db');
    const db = new SQLite(path);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (v integer)');
    const shmFds = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === `${path}-shm`;
        } catch {
          return false;
        }
      }).length;
    const before = shmFds(); // SQLite's own
    const a = new CommitWatch(path);
    const b = new CommitWatch(path);
    try {
      a.current();
      b.current();
      expect(shmFds()).toBe(before + 1);
      b.close();
      expect(shmFds()).toBe(before + 1);
      db.prepare('insert into t values (1)').run();
      const g = a.current();
      db.prepare('insert into t values (2)').run();
      expect(a.current()).not.toBe(g);
      a.close();
      expect(shmFds()).toBe(before);
    } finally {
      db.close();
    }
  });

  it('counts a header caught mid-write (its two copies differ) as unknown, and no -shm as unknown', async () => {
    const path = join(dir, 'fake.db');
    const watch = new CommitWatch(path);
    expect(watch.current()).toBeUndefined(); // no -shm file yet
    const header = Buffer.alloc(96);
    header.fill(7, 0, 48);
    header.fill(7, 48, 96);
    await writeFile(`${path}-shm`, header);
    const g = watch.current();
    expect(g).toBeTypeOf('number');
    header[60] = 8; // the second copy written, the first not yet
    await writeFile(`${path}-shm`, header);
    expect(watch.current()).toBeUndefined();
    header[12] = 8; // both written: a new state
    await writeFile(`${path}-shm`, header);
    expect(watch.current()).not.toBe(g);
    watch.close();
  });
});
