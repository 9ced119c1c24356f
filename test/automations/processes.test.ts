// Automations and workflows across real processes: a worker SIGKILLed in the middle of a workflow (the
// workflow still finishes, each step once), and on PostgreSQL two API nodes and two worker processes firing
// one automation for 50 media (exactly 50 runs, each step run once).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/app-context.js';
import { buildApp } from '../../src/http/app.js';
import { testDatabases } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import { processHarness } from '../helpers/worker-process.js';
import { noteKind } from '../tasks/kinds.js';

const harness = processHarness();
const { spawnWorker, app } = harness;
let fx: Fixtures;
let server: MediaServer;

beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({ 'pixel.png': fx.png });
});
afterAll(async () => {
  await server?.close();
});
afterEach(() => harness.cleanup());

describe.each(testDatabases())('workflows across processes (%s)', (db) => {
  it('a worker SIGKILLed in the middle of a workflow: the workflow still finishes, each step once', async () => {
    const t = await app(db);
    const file = (await t.request('POST', '/files', { url: `${server.url}/pixel.png` })).json;
    const worker = spawnWorker(t, { RUNS_LOG: join(t.dataDir, 'runs.log') });
    await worker.line(/^ready$/);
    const wf = await t.create({
      kind: 'workflow',
      file_id: file.id,
      workflow: [{ kind: 'slow', next: [{ kind: 'count' }] }, { kind: 'count' }],
    });
    const started = await worker.line(/^started (\S+) (\d+)$/);
    worker.child.kill('SIGKILL');
    await worker.exited;
    const slowId = started[1];
    expect((await t.ctx.repos.tasks.getById(slowId))!.status).toBe('processing');

    // a worker whose clock is past the dead worker's lease takes the step over
    const later = t.ctx.createWorker({ clock: () => Date.now() + 60_000 });
    await later.runUntilIdle();
    await later.stop();

    const done = await t.task(wf.id);
    expect(done.status).toBe('completed');
    expect(done.workflow.map((s: { kind: string }) => s.kind).sort()).toEqual(['count', 'count', 'slow']);
    expect(done.workflow.every((s: { status: string }) => s.status === 'completed')).toBe(true);
    // the slow step ran twice (killed, then taken over) but made one output; the next step exists once
    expect((await t.ctx.repos.tasks.getById(slowId))!.attempts).toBe(2);
    const outputs = await t.ctx.store.db
      .selectFrom('files')
      .select('id')
      .where('created_by', '=', slowId)
      .execute();
    expect(outputs).toHaveLength(1);
    // the next step of `slow` took its input (slow's note is no source file, so the step passes its input on)
    const inputs = await Promise.all(
      done.workflow
        .filter((s: { kind: string }) => s.kind === 'count')
        .map(async (s: { id: string }) => (await t.task(s.id)).input.id),
    );
    expect(inputs).toEqual([file.id, file.id]);
  });
});

describe.skipIf(!process.env.MEDIARY_TEST_DATABASE_URL)('automations on a PostgreSQL cluster', () => {
  it('two API nodes and two workers fire one automation for 50 media: exactly 50 runs, each step once', async () => {
    const t = await app('postgres');
    // a second API node: its own context and app on the same database
    const ctx2 = await createContext(t.config, {
      kinds: [
        { ...noteKind(), kind: 'slow' },
        { ...noteKind(), kind: 'count' },
      ],
    });
    const app2 = await buildApp(ctx2, { logger: false });
    try {
      const post = async (node: 1 | 2, url: string, body: unknown) => {
        if (node === 1) return t.request('POST', url, body);
        const res = await app2.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${t.key}`, 'accept-version': '2025-08-20' },
          payload: JSON.stringify(body),
        });
        return { status: res.statusCode, json: JSON.parse(res.body) };
      };
      const auto = await post(2, '/automations', {
        trigger: { kind: 'event', event: 'media.created' },
        workflow: [{ kind: 'count', next: [{ kind: 'count' }] }],
      });
      expect(auto.status).toBe(201);

      const runsLog = join(t.dataDir, 'runs.log');
      const a = spawnWorker(t, { RUNS_LOG: runsLog, MEDIARY_TASK_POLL_MS: '200' });
      const b = spawnWorker(t, { RUNS_LOG: runsLog, MEDIARY_TASK_POLL_MS: '200' });
      await Promise.all([a.line(/^ready$/), b.line(/^ready$/)]);

      const media: string[] = [];
      await Promise.all(
        Array.from({ length: 5 }, async (_, lane) => {
          for (let i = 0; i < 10; i++) {
            const res = await post((((lane + i) % 2) + 1) as 1 | 2, '/files', {
              url: `${server.url}/pixel.png`,
            });
            expect(res.status).toBe(201);
            media.push(res.json.media_id);
          }
        }),
      );
      expect(new Set(media).size).toBe(50);

      const runs = () =>
        t.ctx.store.db
          .selectFrom('tasks')
          .select(['id', 'status', 'media_id'])
          .where('automation_id', '=', auto.json.id)
          .where('kind', '=', 'workflow')
          .execute();
      const deadline = Date.now() + 120_000;
      let rows = await runs();
      while (Date.now() < deadline && !(rows.length === 50 && rows.every((r) => r.status === 'completed'))) {
        await new Promise((r) => setTimeout(r, 250));
        rows = await runs();
      }
      expect(rows).toHaveLength(50);
      expect(new Set(rows.map((r) => r.media_id)).size).toBe(50);
      expect(rows.every((r) => r.status === 'completed')).toBe(true);

      const lines = (await readFile(runsLog, 'utf8')).trim().split('\n');
      const perTask = new Map<string, number>();
      for (const l of lines) perTask.set(l.split(' ')[0], (perTask.get(l.split(' ')[0]) ?? 0) + 1);
      // two steps per run, each run once
      expect(perTask.size).toBe(100);
      expect([...perTask.values()].every((n) => n === 1)).toBe(true);
      const triggered = await t.ctx.store.db
        .selectFrom('events')
        .select('id')
        .where('kind', '=', 'automation.triggered')
        .execute();
      expect(triggered).toHaveLength(50);
    } finally {
      await app2.close();
      await ctx2.close();
    }
  });
});
