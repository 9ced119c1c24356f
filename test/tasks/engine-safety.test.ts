// Safety net for the engine and the queue, written before they are reworked: what a user (or another worker)
// sees when leases are handed over, retries back off, a worker stops mid-claim, and finishing a task fails.
// Every test builds its own app, so one failure cannot leave tasks behind for the next.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClaimOptions, Lease } from '../../src/store/tasks.repository.js';
import { testDatabases } from '../helpers/app.js';
import { type PngServer, startPngServer } from '../helpers/png-server.js';
import { startTaskApp, type TaskApp } from './helpers.js';
import { flakyKind, gateKind, noteKind } from './kinds.js';

let png: PngServer;
beforeAll(async () => {
  png = await startPngServer();
});
afterAll(async () => {
  await png?.close();
});

describe.each(testDatabases())('engine safety net (%s)', (db) => {
  let t: TaskApp;
  const gate = gateKind();
  beforeEach(async () => {
    t = await startTaskApp({
      db,
      kinds: [noteKind(), gate.def, flakyKind(1000, false, 'always-flaky')],
      env: { MEDIARY_TASK_MAX_ATTEMPTS: '4' },
    });
  });
  afterEach(async () => {
    await t?.close();
  });

  async function inputFile(): Promise<{ id: string; media_id: string }> {
    const res = await t.request('POST', '/files', { url: png.url });
    expect(res.status).toBe(201);
    return res.json;
  }

  const row = async (id: string) => (await t.ctx.repos.tasks.getById(id))!;

  describe('lease guard (repository)', () => {
    const iso = (ms = 0) => new Date(Date.now() + ms).toISOString();
    const claimAs = (workerId: string) =>
      t.ctx.repos.tasks.claim({
        workerId,
        now: iso(),
        leaseUntil: iso(60_000),
        projectConcurrency: 0,
        kinds: ['note'],
      } satisfies ClaimOptions);
    const leaseOf = (r: { id: string; worker_id: string | null; attempts: number }): Lease => ({
      id: r.id,
      workerId: r.worker_id!,
      attempt: r.attempts,
    });

    async function expectStale(stale: Lease, current: Lease) {
      const repo = t.ctx.repos.tasks;
      expect(await repo.renew(stale, { progress: 55 })).toBe(false);
      const finished = await repo.transaction((trx) =>
        repo.finish(trx, stale, { status: 'completed', progress: 100, error: null }),
      );
      expect(finished).toBeUndefined();
      expect(await repo.release(stale, iso())).toBe(false);
      // the current run still holds the task, untouched by the stale one
      expect(await row(current.id)).toMatchObject({
        status: 'processing',
        worker_id: current.workerId,
        attempts: current.attempt,
        progress: 0,
      });
      expect(await repo.renew(current, { progress: 10 })).toBe(true);
    }

    it('a run that gave its task back cannot write once another worker claims the same attempt number', async () => {
      const file = await inputFile();
      const task = await t.create({ kind: 'note', file_id: file.id });
      const first = await claimAs('engine-a/claim-1');
      expect(first).toMatchObject({ id: task.id, attempts: 1 });
      expect(await t.ctx.repos.tasks.release(leaseOf(first!), iso())).toBe(true);
      const second = await claimAs('engine-b/claim-2');
      expect(second).toMatchObject({ id: task.id, attempts: 1 });
      await expectStale(leaseOf(first!), leaseOf(second!));
    });

    it('a run from before a cancel and retry cannot write once the task is claimed again', async () => {
      const file = await inputFile();
      const task = await t.create({ kind: 'note', file_id: file.id });
      const first = await claimAs('engine-a/claim-1');
      expect(first?.attempts).toBe(1);
      expect((await t.request('POST', `/tasks/${task.id}/cancel`)).status).toBe(200);
      expect((await t.request('POST', `/tasks/${task.id}/retry`)).status).toBe(200);
      const second = await claimAs('engine-b/claim-2');
      expect(second).toMatchObject({ id: task.id, attempts: 1 });
      await expectStale(leaseOf(first!), leaseOf(second!));
    });
  });

  it('retry delays double from one attempt to the next (±20 % jitter) and a task waits them out', async () => {
    const base = 60_000;
    let now = Date.now();
    const engine = t.ctx.createWorker({ clock: () => now, retryDelayMs: base });
    const file = await inputFile();
    const task = await t.create({ kind: 'always-flaky', file_id: file.id });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await engine.runUntilIdle()).toBe(1);
      const waiting = await row(task.id);
      expect(waiting).toMatchObject({ status: 'pending', attempts: attempt });
      const runAfter = Date.parse(waiting.run_after);
      delays.push(runAfter - now);
      // not due yet: nothing runs
      now = runAfter - 2000;
      expect(await engine.runUntilIdle()).toBe(0);
      now = runAfter + 1000;
    }
    // ±20 % jitter, plus a little for the engine's database clock offset
    delays.forEach((d, i) => {
      const nominal = base * 2 ** i;
      expect(d, `delay after attempt ${i + 1}`).toBeGreaterThanOrEqual(nominal * 0.8 - 250);
      expect(d, `delay after attempt ${i + 1}`).toBeLessThanOrEqual(nominal * 1.2 + 250);
    });
    // the last attempt fails the task for good
    expect(await engine.runUntilIdle()).toBe(1);
    expect(await row(task.id)).toMatchObject({ status: 'failed', attempts: 4 });
    await engine.stop();
  });

  it('a claim that lands after stop() gives its task straight back, attempt not counted', async () => {
    const file = await inputFile();
    const task = await t.create({ kind: 'note', file_id: file.id });
    const engine = t.ctx.createWorker({ workerId: 'stopping' });
    const repo = t.ctx.repos.tasks;
    const claim = repo.claim.bind(repo);
    let stopping: Promise<void> | undefined;
    // stop() arrives while the claim's statement is in flight
    const spy = vi.spyOn(repo, 'claim').mockImplementation(async (opts, trx) => {
      const claimed = await claim(opts, trx);
      if (claimed) stopping ??= engine.stop();
      return claimed;
    });
    try {
      await engine.runUntilIdle();
      await stopping;
    } finally {
      spy.mockRestore();
    }
    expect(stopping).toBeDefined();
    expect(await row(task.id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      worker_id: null,
      lease_until: null,
    });
    // another worker picks it up at once
    expect(await t.engine.runUntilIdle()).toBe(1);
    expect(await row(task.id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('a task whose media is deleted while it runs fails and leaves no output bytes behind', async () => {
    const file = await inputFile();
    const task = await t.create({ kind: 'gate', file_id: file.id });
    const idle = t.engine.runUntilIdle();
    await gate.started(task.id);
    expect((await t.request('DELETE', `/media/${file.media_id}`)).status).toBeLessThan(300);
    gate.open(task.id);
    await idle;
    const failed = await t.task(task.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/media/i);
    expect(failed.error).toMatch(/deleted/i);
    const projectId = (await row(task.id)).project_id;
    expect(await t.ctx.blobs.stat(`${projectId}/${task.id}-0`)).toBeNull();
    const files = await t.ctx.store.db
      .selectFrom('files')
      .select('id')
      .where('created_by', '=', task.id)
      .execute();
    expect(files).toEqual([]);
  });
});
