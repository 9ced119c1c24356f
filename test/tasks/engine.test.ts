// The engine inside one process: retries and backoff, leases taken over, graceful stop, dead workers on
// their last attempt, priorities and the per-project limit. Time never passes by waiting: an engine whose
// clock runs ahead sees other leases as expired.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuthContext } from '../../src/services/projects.service.js';
import { PRIORITY } from '../../src/store/tasks.repository.js';
import { testDatabases } from '../helpers/app.js';
import { startTaskApp, type TaskApp } from './helpers.js';
import { busyKind, flakyKind, gateKind, noteKind, type Recorder } from './kinds.js';

const AHEAD = 10 * 60_000;

describe.each(testDatabases())('task engine (%s)', (db) => {
  let t: TaskApp;
  let auth: AuthContext;
  let png: string;
  const rec: Recorder = { runs: [] };
  const gate = gateKind();
  const busy = { running: new Map<string, number>(), max: 0 };
  // a fresh app per test: a test that fails with a task still queued or running (a gate never opened)
  // cannot stall or skew the next one's runUntilIdle()
  beforeEach(async () => {
    t = await startTaskApp({
      db,
      kinds: [
        noteKind(rec),
        gate.def,
        flakyKind(2, false, 'flaky2'),
        flakyKind(5, false, 'flaky5'),
        busyKind(busy),
      ],
      env: { MEDIARY_TASK_MAX_ATTEMPTS: '3' },
    });
    auth = (await t.ctx.projects.authenticate(t.key))!;
    png = join(t.dataDir, 'in.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
      .png()
      .toFile(png);
  });
  afterEach(async () => {
    await t?.close();
  });

  async function inputFile(a: AuthContext = auth) {
    const copy = join(t.dataDir, `copy-${Math.random()}.png`);
    await copyFile(png, copy);
    return t.ctx.ingest.ingestLocalFile(a, copy, { createdBy: a.keyId });
  }

  async function row(id: string) {
    return (await t.ctx.repos.tasks.getById(id))!;
  }

  async function outputsOf(taskId: string) {
    return t.ctx.store.db.selectFrom('files').selectAll().where('created_by', '=', taskId).execute();
  }

  it('hands each run the input file row its claim read: the run does not read it again', async () => {
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, { kind: 'note', file_id: file.id });
    const getFile = vi.spyOn(t.ctx.repos.media, 'getFile');
    try {
      await t.ctx.createWorker().runUntilIdle();
      expect((await row(task.id)).status).toBe('completed');
      // one read, in the claim's transaction (its `db` is the transaction's); none outside it
      const reads = getFile.mock.calls.filter((c) => c[1] === file.id);
      expect(reads).toHaveLength(1);
      expect(reads[0][2]?.isTransaction).toBe(true);
    } finally {
      getFile.mockRestore();
    }
    expect(rec.runs.map((r) => r.id)).toContain(task.id);
  });

  it('a run whose input file was deleted after its claim fails with a clear error', async () => {
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, { kind: 'note', file_id: file.id });
    await t.ctx.store.db.deleteFrom('files').where('id', '=', file.id).execute();
    await t.ctx.createWorker().runUntilIdle();
    const failed = await row(task.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/no longer exists/);
  });

  it('retries a transient failure with a fresh attempt and keeps the last error while waiting', async () => {
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, { kind: 'flaky2', file_id: file.id });
    expect(await t.engine.runUntilIdle()).toBe(3);
    const done = await row(task.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 3, error: null, progress: 100 });
    expect(await outputsOf(task.id)).toHaveLength(1);
  });

  it('fails after max attempts with the last error, paths scrubbed', async () => {
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, { kind: 'flaky5', file_id: file.id });
    await t.engine.runUntilIdle();
    const done = await row(task.id);
    expect(done).toMatchObject({ status: 'failed', attempts: 3, error: 'the disk hiccuped in x (run 3)' });
    expect(await outputsOf(task.id)).toHaveLength(0);
  });

  it('waits out the retry delay; start makes a waiting task due at once', async () => {
    const slow = t.ctx.createWorker({ retryDelayMs: 60_000 });
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, { kind: 'flaky2', file_id: file.id });
    expect(await slow.runUntilIdle()).toBe(1);
    const waiting = await row(task.id);
    expect(waiting).toMatchObject({
      status: 'pending',
      attempts: 1,
      error: 'the disk hiccuped in x (run 1)',
    });
    expect(Date.parse(waiting.run_after) - Date.now()).toBeGreaterThan(40_000);
    expect(await slow.runUntilIdle()).toBe(0);
    await t.ctx.tasks.start(auth, task.id);
    expect(await slow.runUntilIdle()).toBe(1);
    expect(await row(task.id)).toMatchObject({ status: 'pending', attempts: 2 });
    await t.ctx.tasks.cancel(auth, task.id);
    await slow.stop();
  });

  it('a run whose lease was taken over aborts and writes nothing; the task completes once', async () => {
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, { kind: 'gate', file_id: file.id });
    const first = t.ctx.createWorker({ leaseMs: 600, workerId: 'first' });
    const firstIdle = first.runUntilIdle();
    await gate.started(task.id);
    expect((await row(task.id)).worker_id).toMatch(/^first\//);

    // an engine whose clock is ahead sees the lease as expired and takes the task over. On PostgreSQL its
    // claim skips a row another transaction has locked (SKIP LOCKED): one that meets the first run's
    // heartbeat renewal finds nothing and returns at once, so it claims again, as its poll would
    const second = t.ctx.createWorker({ clock: () => Date.now() + AHEAD, workerId: 'second' });
    /** true once the row is the second engine's; false when its runUntilIdle ended without claiming */
    const claimedBy = async (idle: Promise<number>) => {
      let ended = false;
      idle.then(
        () => (ended = true),
        () => (ended = true),
      );
      for (;;) {
        if ((await row(task.id)).worker_id?.startsWith('second/')) return true;
        if (ended) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    let secondIdle: Promise<number> | undefined;
    for (let i = 0; i < 20 && !secondIdle; i++) {
      const idle = second.runUntilIdle();
      if (await claimedBy(idle)) secondIdle = idle;
    }
    expect((await row(task.id)).worker_id).toMatch(/^second\//);
    expect((await row(task.id)).attempts).toBe(2);

    // the first run's heartbeat finds the task gone and aborts its runner
    await firstIdle;
    expect(gate.aborted.find((a) => a.id === task.id)?.reason).toMatchObject({ reason: 'lease_lost' });
    gate.open(task.id);
    expect(await secondIdle).toBe(1);
    expect(await row(task.id)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await outputsOf(task.id)).toHaveLength(1);
    await first.stop();
    await second.stop();
  });

  it('stop() gives running tasks back without counting the attempt', async () => {
    const file = await inputFile();
    const engine = await t.ctx.startWorker({ workerId: 'stopping' });
    const { task } = await t.ctx.tasks.create(auth, { kind: 'gate', file_id: file.id });
    await gate.started(task.id);
    await engine.stop();
    expect(gate.aborted.find((a) => a.id === task.id)?.reason).toMatchObject({ reason: 'shutdown' });
    expect(await row(task.id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      worker_id: null,
      lease_until: null,
    });
    gate.open(task.id);
    await t.engine.runUntilIdle();
    expect(await row(task.id)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('a task whose worker died on its last attempt fails, with its webhook', async () => {
    const file = await inputFile();
    const { task } = await t.ctx.tasks.create(auth, {
      kind: 'note',
      file_id: file.id,
      webhook_url: 'https://hooks.example.com/t',
    });
    await t.ctx.store.db.updateTable('tasks').set({ max_attempts: 1 }).where('id', '=', task.id).execute();
    const now = Date.now();
    const claimed = await t.ctx.repos.tasks.claim({
      workerId: 'dead/1',
      now: new Date(now).toISOString(),
      leaseUntil: new Date(now + 1000).toISOString(),
      projectConcurrency: 0,
      kinds: ['note'],
    });
    expect(claimed?.id).toBe(task.id);
    const later = t.ctx.createWorker({ clock: () => Date.now() + AHEAD });
    const before = rec.runs.length;
    await later.runUntilIdle();
    expect(rec.runs.length).toBe(before);
    const failed = await row(task.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/stopped responding/);
    const hooks = await t.ctx.store.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('task_id', '=', task.id)
      .execute();
    expect(hooks.map((h) => h.type)).toEqual(['task.failed']);
    await later.stop();
  });

  it('runs interactive tasks before automation work', async () => {
    const file = await inputFile();
    const one = t.ctx.createWorker({ concurrency: 1 });
    const auto: string[] = [];
    for (let i = 0; i < 3; i++) {
      auto.push(
        (
          await t.ctx.tasks.create(
            auth,
            { kind: 'note', file_id: file.id },
            { priority: PRIORITY.automation },
          )
        ).task.id,
      );
    }
    const api = (await t.ctx.tasks.create(auth, { kind: 'note', file_id: file.id })).task.id;
    const from = rec.runs.length;
    await one.runUntilIdle();
    const order = rec.runs.slice(from).map((r) => r.id);
    // same-millisecond tasks of one priority have no defined order among themselves
    expect(order[0]).toBe(api);
    expect(order.slice(1).sort()).toEqual([...auto].sort());
    await one.stop();
  });

  it('claims due pending and lapsed tasks in one priority order; tasks not due or out of attempts wait', async () => {
    // rows of a kind no engine here runs, in a project of their own: only these claims see them
    const project = await t.ctx.projects.createProject(`claims-${Date.now()}`);
    const own: AuthContext = { ...auth, projectId: project.id };
    const file = await inputFile(own);
    const kind = `claim-order-${db}`;
    const start = Date.now();
    const iso = (ms: number) => new Date(start + ms).toISOString();
    let made = 0;
    const make = async (patch: Record<string, unknown>) => {
      const { task } = await t.ctx.tasks.create(own, { kind: 'note', file_id: file.id });
      const at = iso(-60_000 + made++);
      await t.ctx.store.db
        .updateTable('tasks')
        .set({ kind, created: at, run_after: at, ...patch })
        .where('id', '=', task.id)
        .execute();
      return task.id;
    };
    const lapsed = { status: 'processing', worker_id: 'gone', lease_until: iso(-1000) };
    const backlog = await make({ priority: PRIORITY.automation });
    const orphan = await make({ ...lapsed, attempts: 1 });
    const waiting = await make({ run_after: iso(60_000) });
    const spent = await make({ ...lapsed, attempts: 3 });
    const oldest = await make({ created: iso(-120_000), priority: PRIORITY.automation });
    const claim = () =>
      t.ctx.repos.tasks.claim({
        workerId: 'claimer',
        now: iso(0),
        leaseUntil: iso(30_000),
        projectConcurrency: 0,
        kinds: [kind],
      });
    const order = [(await claim())?.id, (await claim())?.id, (await claim())?.id, await claim()];
    expect(order).toEqual([orphan, oldest, backlog, undefined]);
    expect((await row(orphan)).attempts).toBe(2);
    await t.ctx.store.db
      .updateTable('tasks')
      .set({ status: 'cancelled', worker_id: null, lease_until: null })
      .where('id', 'in', [backlog, orphan, waiting, spent, oldest])
      .execute();
  });

  it("three workers claiming at once never exceed a project's concurrency limit", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 18; i++) {
      const file = await inputFile();
      ids.push((await t.ctx.tasks.create(auth, { kind: 'busy', file_id: file.id })).task.id);
    }
    const engines = [1, 2, 3].map((n) =>
      t.ctx.createWorker({ concurrency: 4, projectConcurrency: 2, workerId: `w${n}` }),
    );
    busy.max = 0;
    // engines that find nothing to claim stop; go round until every task has run
    for (let round = 0; round < 50; round++) {
      await Promise.all(engines.map((e) => e.runUntilIdle()));
      const states = await Promise.all(ids.map(async (id) => (await row(id)).status));
      if (states.every((s) => s === 'completed')) break;
    }
    for (const id of ids) expect((await row(id)).status).toBe('completed');
    expect(busy.max).toBeLessThanOrEqual(2);
    expect(busy.max).toBeGreaterThan(0);
  });

  it("frees the slot once the runner returns: the next task runs while the last one's outputs are stored", async () => {
    const file = await inputFile();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await t.ctx.tasks.create(auth, { kind: 'note', file_id: file.id })).task.id);
      await new Promise((r) => setTimeout(r, 5));
    }
    // storing outputs hangs until the test lets it go
    let releaseStores: () => void = () => {};
    const stores = new Promise<void>((r) => (releaseStores = r));
    const putFile = t.ctx.blobs.putFile.bind(t.ctx.blobs);
    const spy = vi.spyOn(t.ctx.blobs, 'putFile').mockImplementation(async (key, path, opts) => {
      await stores;
      return putFile(key, path, opts);
    });
    try {
      const ran = () => rec.runs.map((r) => r.id).filter((id) => ids.includes(id));
      const engine = t.ctx.createWorker({ concurrency: 1 });
      const idle = engine.runUntilIdle();
      // one slot: the first task's runner is done and its outputs are stuck, yet the second one runs
      await vi.waitFor(() => expect(ran()).toEqual(ids.slice(0, 2)), { timeout: 5000 });
      // but at most one finishing run per slot: the third waits for one of them to end
      await new Promise((r) => setTimeout(r, 200));
      expect(ran()).toEqual(ids.slice(0, 2));
      expect((await row(ids[2])).status).toBe('pending');
      releaseStores();
      expect(await idle).toBe(3);
      for (const id of ids) expect((await row(id)).status).toBe('completed');
      await engine.stop();
    } finally {
      spy.mockRestore();
      releaseStores();
    }
  });

  // on SQLite the claim's statements run synchronously once it has the connection, so the order is exact;
  // on PostgreSQL both flows wait on round trips and interleave as the network has them
  it.runIf(db === 'sqlite')(
    'claims the next task before it finishes the last one: the finishing waits a turn of the event loop',
    async () => {
      const file = await inputFile();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await t.ctx.tasks.create(auth, { kind: 'note', file_id: file.id })).task.id);
        await new Promise((r) => setTimeout(r, 5));
      }
      const order: string[] = [];
      const { tasks } = t.ctx.repos;
      const claim = tasks.claim.bind(tasks);
      const holds = tasks.holds.bind(tasks);
      const spies = [
        vi.spyOn(tasks, 'claim').mockImplementation(async (...args) => {
          const row = await claim(...args);
          if (row) order.push(`claim ${ids.indexOf(row.id)}`);
          return row;
        }),
        vi.spyOn(tasks, 'holds').mockImplementation(async (lease, until) => {
          order.push(`finish ${ids.indexOf(lease.id)}`);
          return holds(lease, until);
        }),
      ];
      try {
        expect(await t.ctx.createWorker({ concurrency: 1 }).runUntilIdle()).toBe(3);
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      // one slot: the next task is claimed before the last one's outputs are stored and its end written
      expect(order).toEqual(['claim 0', 'claim 1', 'finish 0', 'claim 2', 'finish 1', 'finish 2']);
    },
  );

  it('keeps one project within its concurrency limit while another runs beside it', async () => {
    const project = await t.ctx.projects.createProject(`busy-${Date.now()}`);
    const other: AuthContext = { ...auth, projectId: project.id };
    const mine = await inputFile();
    const theirs = await inputFile(other);
    const engine = t.ctx.createWorker({ concurrency: 3, projectConcurrency: 1 });
    const a1 = (await t.ctx.tasks.create(auth, { kind: 'gate', file_id: mine.id })).task.id;
    const a2 = (await t.ctx.tasks.create(auth, { kind: 'gate', file_id: mine.id })).task.id;
    const b1 = (await t.ctx.tasks.create(other, { kind: 'gate', file_id: theirs.id })).task.id;
    const idle = engine.runUntilIdle();
    // a1 and a2 are alike (same priority, usually the same millisecond): either may go first
    const [first] = await Promise.race([a1, a2].map((id) => gate.started(id).then(() => [id])));
    const second = first === a1 ? a2 : a1;
    await gate.started(b1);
    expect(engine.running().sort()).toEqual([first, b1].sort());
    expect((await row(second)).status).toBe('pending');
    gate.open(first);
    await gate.started(second);
    gate.open(second);
    gate.open(b1);
    expect(await idle).toBe(3);
    for (const id of [a1, a2, b1]) expect((await row(id)).status).toBe('completed');
    await engine.stop();
  });
});
