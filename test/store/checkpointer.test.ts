// A server's SQLite checkpoints run on a thread of their own (store/checkpointer.ts): the commits on the
// event loop never stop to copy the WAL into the database and fsync it.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { startServer } from '../../src/cli/start.js';
import { loadConfig } from '../../src/config.js';
import { SAFETY_NET_PAGES } from '../../src/store/checkpointer.js';

const KEY = 'mediary_test_key_checkpointer_0123456789';

describe('WAL checkpoints on their own thread (sqlite)', () => {
  let dir: string;
  let ctx: AppContext | undefined;
  const env = () => ({
    MEDIARY_DATA_DIR: dir,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_INITIAL_API_KEY: KEY,
    MEDIARY_DATABASE_URL: '',
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-checkpoint-'));
  });
  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('the commits leave the WAL to the thread, which copies all of it; closing removes the WAL', async () => {
    ctx = await createContext(loadConfig(env()));
    const sqlite = ctx.store.sqlite!;
    // a long interval: the test asks for the ticks it wants
    const cp = ctx.store.startCheckpointer!({ everyMs: 60_000 });
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
    await cp.next(); // the WAL is empty now
    sqlite.exec('create table filler (id integer primary key, pad text)');
    const insert = sqlite.prepare('insert into filler (pad) values (?)');
    // 1,500 commits of a page or more each: past SQLite's own threshold of 1,000 pages, where the commit
    // that crossed it would have checkpointed by itself
    for (let i = 0; i < 1500; i++) insert.run('x'.repeat(3000));
    const r = await cp.next();
    expect(r.busy).toBe(false);
    expect(r.log).toBeGreaterThan(1500);
    expect(r.checkpointed).toBe(r.log);
    expect(cp.last()).toEqual(r);
    const wal = join(dir, 'mediary.db-wal');
    expect(existsSync(wal)).toBe(true);
    await ctx.close();
    ctx = undefined;
    // closed: the thread stopped and the last connection removed the WAL
    expect(existsSync(wal)).toBe(false);
  });

  it('mediary start runs it', async () => {
    const running = await startServer(
      loadConfig({
        ...env(),
        MEDIARY_PORT: '0',
        MEDIARY_DELIVERY_PORT: '0',
        MEDIARY_WORKER_CONCURRENCY: '0',
      }),
    );
    try {
      expect(running.ctx.store.sqlite!.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_NET_PAGES);
    } finally {
      await running.stop();
    }
  });
});
