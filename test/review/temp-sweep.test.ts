// Hostile review 5.1: task work dirs and ingest downloads left in {data dir}/tmp by a killed process are
// swept (at start and periodically), never a dir of a task that is still processing, never a fresh one.
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';

describe.each(testDatabases())('temp sweeper (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => t?.close());

  it('removes old leftovers of dead runs and downloads, keeps live and fresh ones', async () => {
    const tmp = join(t.dataDir, 'tmp');
    const task = await t.request('/tasks', {
      method: 'POST',
      body: { kind: 'ingest', url: 'https://127.0.0.1:9/a.png' },
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(task.status).toBe(201);
    const live = task.json.id as string;
    await t.ctx.store.db.updateTable('tasks').set({ status: 'processing' }).where('id', '=', live).execute();

    const day = new Date(Date.now() - 24 * 3_600_000);
    const make = async (name: string, dir: boolean, old: boolean) => {
      const p = join(tmp, name);
      if (dir) {
        await mkdir(p, { recursive: true });
        await writeFile(join(p, 'out.mp4'), 'x'.repeat(1000));
      } else await writeFile(p, 'x');
      if (old) await utimes(p, day, day);
    };
    await make('task_DeadRun0000000001-a1B2c3', true, true);
    await make('task_DeadRun0000000002', true, true);
    await make(`${live}-Zz9yX8`, true, true);
    await make('task_FreshRun000000003-q1w2e3', true, false);
    await make('ingest-1700000000000-0a1b2c3d4e5f', false, true);
    await make('ingest-1700000000001-0a1b2c3d4e5f', false, false);
    await make('put-old-upload', false, true); // the upload sweeper's, not ours
    await make('something-else', true, true);
    await mkdir(join(tmp, 'spare-OldSpare01'));
    await utimes(join(tmp, 'spare-OldSpare01'), day, day);
    await mkdir(join(tmp, 'spare-NewSpare01'));

    const removed = await t.ctx.temp.sweep();
    expect(removed.sort()).toEqual([
      'ingest-1700000000000-0a1b2c3d4e5f',
      'spare-OldSpare01',
      'task_DeadRun0000000001-a1B2c3',
      'task_DeadRun0000000002',
    ]);
    const left = await readdir(tmp);
    expect(left).toEqual(
      expect.arrayContaining([
        `${live}-Zz9yX8`,
        'task_FreshRun000000003-q1w2e3',
        'ingest-1700000000001-0a1b2c3d4e5f',
        'put-old-upload',
        'something-else',
        'spare-NewSpare01',
      ]),
    );

    // once the task has ended, its old dir goes too; start() sweeps at once
    await t.ctx.store.db.updateTable('tasks').set({ status: 'failed' }).where('id', '=', live).execute();
    const stop = t.ctx.temp.start(60_000, (err) => {
      throw err;
    });
    await vi.waitFor(async () => expect(await readdir(tmp)).not.toContain(`${live}-Zz9yX8`));
    stop();
  });
});
