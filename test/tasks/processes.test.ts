// Real worker processes against one store: a worker killed with SIGKILL mid-task (its task completes later,
// once, with one output file), and two workers sharing 50 tasks on PostgreSQL (each runs exactly once).
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/services/projects.service.js';
import { testDatabases } from '../helpers/app.js';
import { processHarness } from '../helpers/worker-process.js';
import { deferred } from './helpers.js';

const harness = processHarness();
const { spawnWorker } = harness;

afterEach(() => harness.cleanup());

async function setup(db: 'sqlite' | 'postgres') {
  const t = await harness.app(db);
  const auth = (await t.ctx.projects.authenticate(t.key)) as AuthContext;
  const png = join(t.dataDir, 'in.png');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#884422' } })
    .png()
    .toFile(png);
  const copy = join(t.dataDir, 'copy.png');
  await copyFile(png, copy);
  const file = await t.ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId });
  return { t, auth, file };
}

describe.each(testDatabases())('worker processes (%s)', (db) => {
  it('a worker killed with SIGKILL mid-task: the task completes later, once, with one output file', async () => {
    const { t, auth, file } = await setup(db);
    const worker = spawnWorker(t);
    await worker.line(/^ready$/);
    const { task } = await t.ctx.tasks.create(auth, { kind: 'slow', file_id: file.id, ref: 'slow' });
    const started = await worker.line(/^started (\S+) (\d+)$/);
    expect(started.slice(1)).toEqual([task.id, '1']);
    worker.child.kill('SIGKILL');
    await worker.exited;

    const held = (await t.ctx.repos.tasks.getById(task.id))!;
    expect(held).toMatchObject({ status: 'processing', attempts: 1 });
    expect(held.worker_id).toMatch(new RegExp(`^child-${worker.child.pid}/`));

    // the lease is still live for a worker on the real clock: nothing to take over yet
    expect(await t.engine.runUntilIdle()).toBe(0);
    const later = t.ctx.createWorker({ clock: () => Date.now() + 60_000 });
    expect(await later.runUntilIdle()).toBe(1);
    await later.stop();

    const done = await t.task(task.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100, error: null });
    expect((await t.ctx.repos.tasks.getById(task.id))!.attempts).toBe(2);
    const outputs = await t.ctx.store.db
      .selectFrom('files')
      .selectAll()
      .where('created_by', '=', task.id)
      .execute();
    expect(outputs).toHaveLength(1);
    expect(outputs[0].id).toBe(done.output.id);
    expect(await t.ctx.blobs.stat(outputs[0].blob_key!)).not.toBeNull();
    const media = await t.request('GET', `/media/${file.media_id}`);
    expect(media.json.urls.slow).toBe(done.output.url);
  });
});

describe.skipIf(!process.env.MEDIARY_TEST_DATABASE_URL)('worker processes on PostgreSQL', () => {
  it('two workers and 50 tasks: each task runs exactly once', async () => {
    const { t, auth, file } = await setup('postgres');
    const runsLog = join(t.dataDir, 'runs.log');
    const a = spawnWorker(t, { RUNS_LOG: runsLog });
    const b = spawnWorker(t, { RUNS_LOG: runsLog });
    await Promise.all([a.line(/^ready$/), b.line(/^ready$/)]);

    // finished signals arrive from the workers by NOTIFY
    const finished = new Set<string>();
    const all = deferred();
    await t.ctx.signals.listen();
    t.ctx.signals.on('tasks', (s) => {
      if (s.type === 'finished') finished.add(s.id);
      if (finished.size === 50) all.resolve();
    });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++)
      ids.push((await t.ctx.tasks.create(auth, { kind: 'count', file_id: file.id })).task.id);
    await all.promise;

    const runs = (await readFile(runsLog, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const perTask = new Map<string, number>();
    for (const [id] of runs) perTask.set(id, (perTask.get(id) ?? 0) + 1);
    expect([...perTask.keys()].sort()).toEqual([...ids].sort());
    expect([...perTask.values()].every((n) => n === 1)).toBe(true);
    // both processes took part
    expect(new Set(runs.map(([, pid]) => pid)).size).toBe(2);

    const rows = await t.ctx.store.db
      .selectFrom('tasks')
      .select(['status', 'attempts'])
      .where('id', 'in', ids)
      .execute();
    expect(rows.every((r) => r.status === 'completed' && r.attempts === 1)).toBe(true);
    const outputs = await t.ctx.store.db
      .selectFrom('files')
      .select('id')
      .where('created_by', 'in', ids)
      .execute();
    expect(outputs).toHaveLength(50);

    // a cancel reaches a task running in another process through NOTIFY
    a.child.kill('SIGTERM');
    await a.exited;
    const { task } = await t.ctx.tasks.create(auth, { kind: 'slow', file_id: file.id });
    await b.line(new RegExp(`^started ${task.id} 1$`));
    const aborted = b.line(new RegExp(`^aborted ${task.id} (\\w+)$`));
    await t.ctx.tasks.cancel(auth, task.id);
    expect((await aborted)[1]).toBe('cancelled');
    b.child.kill('SIGTERM');
    await b.exited;
    expect((await t.ctx.repos.tasks.getById(task.id))!.status).toBe('cancelled');
  });
});
