// The claim runs before every task, so on SQLite its pick of the next pending task must stop at the first
// due row of the queue index instead of reading (and sorting) the whole backlog: the statements a claim
// prepares are checked with EXPLAIN QUERY PLAN. (tasks.repository claimSqlite; the order itself is tested
// in test/tasks/engine.test.ts on both databases.) The run's lease check before it stores outputs reads
// straight on the connection too, but only committed rows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';

const KEY = 'mediary_test_key_claim_plan_0123456789';

describe('the task claim and lease check on sqlite', () => {
  let dataDir: string;
  let ctx: AppContext;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mediary-claim-plan-'));
    ctx = await createContext(
      loadConfig({ MEDIARY_DATA_DIR: dataDir, MEDIARY_LOG_LEVEL: 'silent', MEDIARY_INITIAL_API_KEY: KEY }),
    );
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

  it("checks the lease on committed rows only: another flow's open transaction is waited for", async () => {
    await ctx.projects.bootstrap(KEY);
    const auth = (await ctx.projects.authenticate(KEY))!;
    const png = join(dataDir, 'in.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toFile(png);
    const file = await ctx.ingest.ingestLocalFile(auth, png, { createdBy: auth.keyId });
    await ctx.tasks.create(auth, { kind: 'image', file_id: file.id, width: 4 });
    const t = Date.now();
    const claimed = await ctx.repos.tasks.claim({
      workerId: 'w/1',
      now: new Date(t).toISOString(),
      leaseUntil: new Date(t + 60_000).toISOString(),
      projectConcurrency: 0,
      kinds: ['image'],
    });
    expect(claimed).toBeDefined();
    const lease = { id: claimed!.id, workerId: 'w/1', attempt: claimed!.attempts };
    const until = new Date(t + 30_000).toISOString();
    expect(await ctx.repos.tasks.holds(lease, until)).toBe(true);
    expect(await ctx.repos.tasks.holds({ ...lease, workerId: 'w/2' }, until)).toBe(false);
    expect(await ctx.repos.tasks.holds(lease, new Date(t + 120_000).toISOString())).toBe(false);
    let during: Promise<boolean> | undefined;
    await expect(
      ctx.store.db.transaction().execute(async (trx) => {
        await trx.updateTable('tasks').set({ worker_id: 'w/other' }).where('id', '=', lease.id).execute();
        during = ctx.repos.tasks.holds(lease, until);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await during).toBe(true);
  });
});
