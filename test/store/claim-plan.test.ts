// The claim runs before every task, so on SQLite its pick of the next pending task must stop at the first
// due row of the queue index instead of reading (and sorting) the whole backlog: the statements a claim
// prepares are checked with EXPLAIN QUERY PLAN. (tasks.repository claimSqlite; the order itself is tested
// in test/tasks/engine.test.ts on both databases.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';

describe('the task claim on sqlite', () => {
  let dataDir: string;
  let ctx: AppContext;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mediary-claim-plan-'));
    ctx = await createContext(loadConfig({ MEDIARY_DATA_DIR: dataDir, MEDIARY_LOG_LEVEL: 'silent' }));
  });
  afterEach(async () => {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('picks the next pending task on the queue index, in its order, without sorting the backlog', async () => {
    const sqlite = ctx.store.sqlite!;
    const prepared: string[] = [];
    const prepare = sqlite.prepare.bind(sqlite);
    vi.spyOn(sqlite, 'prepare').mockImplementation(((text: string) => {
      prepared.push(text);
      return prepare(text);
    }) as typeof sqlite.prepare);
    const now = new Date().toISOString();
    const claimed = await ctx.repos.tasks.claim({
      workerId: 'plan',
      now,
      leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      projectConcurrency: 0,
      kinds: ['image', 'video'],
    });
    expect(claimed).toBeUndefined();
    const picks = prepared.filter((s) => /status = 'pending'/.test(s));
    expect(picks.length).toBeGreaterThan(0);
    for (const text of picks) {
      const args = (text.match(/\?/g) ?? []).map(() => now);
      const plan = (sqlite.prepare(`explain query plan ${text}`).all(...args) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
      expect(plan).toMatch(/USING INDEX tasks_queue/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });
});
