// GET /tasks?media_id= and ?automation_id= (docs/tasks.md): a media's tasks (on its files, and an ingest
// task told to write into it) and an automation's runs, newest first with their total, combined with the
// other filters, within the caller's project; wrong-shaped ids are 400; on SQLite the plan reads the
// indexes of migration 010.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';
import { type PngServer, startPngServer } from '../helpers/png-server.js';

interface WireTask {
  id: string;
  kind: string;
  status: string;
  media_id?: string;
  created_by?: string;
}

describe.each(testDatabases())('GET /tasks media_id and automation_id (%s)', (db) => {
  let t: TestApp;
  let png: PngServer;
  const envelope = { 'accept-version': '2025-07-01' };
  const bare = { 'accept-version': '2025-08-20' };
  let a: { id: string; media_id: string };
  let b: { id: string; media_id: string };
  let c: { id: string; media_id: string };
  const onA: string[] = [];
  let onB: string;
  let auto1: string;
  let auto2: string;

  async function ingest(): Promise<{ id: string; media_id: string }> {
    const res = await t.request('/files', { method: 'POST', body: { url: png.url }, headers: bare });
    expect(res.status, res.text).toBe(201);
    return res.json;
  }
  async function task(body: Record<string, unknown>): Promise<string> {
    const res = await t.request('/tasks', { method: 'POST', body, headers: bare });
    expect(res.status, res.text).toBe(201);
    return res.json.id;
  }
  async function list(query: string): Promise<{ ids: string[]; total: number; tasks: WireTask[] }> {
    const res = await t.request(`/tasks?limit=100&${query}`, { headers: envelope });
    expect(res.status, res.text).toBe(200);
    const tasks = res.json.data as WireTask[];
    return { ids: tasks.map((x) => x.id), total: res.json.meta.total, tasks };
  }

  beforeAll(async () => {
    png = await startPngServer();
    t = await startTestApp({ db });
    a = await ingest();
    b = await ingest();
    onA.push(await task({ kind: 'image', file_id: a.id, width: 4 }));
    onB = await task({ kind: 'image', file_id: b.id, width: 4 });
    onA.push(await task({ kind: 'image', file_id: a.id, format: 'webp' }));
    // a URL task told which media to ingest into belongs to that media before it runs
    onA.push(await task({ kind: 'ingest', url: png.url, media_id: a.media_id }));
    // a URL task without a media has none until its input is fetched
    await task({ kind: 'image', url: png.url, width: 4 });

    const automation = async () => {
      const res = await t.request('/automations', {
        method: 'POST',
        body: { trigger: { kind: 'event', event: 'media.created' }, workflow: [{ kind: 'image', width: 4 }] },
        headers: bare,
      });
      expect(res.status, res.text).toBe(201);
      return res.json.id as string;
    };
    auto1 = await automation();
    auto2 = await automation();
    // a new media: each automation starts one run on it, in the same transaction
    c = await ingest();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await png?.close();
  });

  it("media_id lists the media's tasks, newest first, with their total", async () => {
    const r = await list(`media_id=${a.media_id}`);
    expect(r.ids).toEqual([...onA].reverse());
    expect(r.total).toBe(3);
    expect(r.tasks.every((x) => x.media_id === a.media_id)).toBe(true);
    expect((await list(`media_id=${b.media_id}`)).ids).toEqual([onB]);
    // the automation runs on C are C's tasks
    const onC = await list(`media_id=${c.media_id}`);
    expect(onC.tasks.map((x) => x.kind)).toEqual(['workflow', 'workflow']);
  });

  it('media_id pages and combines with kind and status', async () => {
    const p1 = await t.request(`/tasks?media_id=${a.media_id}&limit=2&page=1`, { headers: envelope });
    const p2 = await t.request(`/tasks?media_id=${a.media_id}&limit=2&page=2`, { headers: envelope });
    expect(p1.json.meta.total).toBe(3);
    expect([...p1.json.data, ...p2.json.data].map((x: WireTask) => x.id)).toEqual([...onA].reverse());
    expect((await list(`media_id=${a.media_id}&kind=ingest`)).ids).toEqual([onA[2]]);
    expect((await list(`media_id=${a.media_id}&status=pending`)).total).toBe(3);
    expect((await list(`media_id=${a.media_id}&status=completed`)).ids).toEqual([]);
    // the bare shape too
    const res = await t.request(`/tasks?media_id=${b.media_id}`, { headers: bare });
    expect((res.json as WireTask[]).map((x) => x.id)).toEqual([onB]);
  });

  it("automation_id lists the automation's runs and nothing else", async () => {
    const r1 = await list(`automation_id=${auto1}`);
    const r2 = await list(`automation_id=${auto2}`);
    expect(r1.total).toBe(1);
    expect(r2.total).toBe(1);
    expect(r1.tasks[0]).toMatchObject({ kind: 'workflow', created_by: auto1, media_id: c.media_id });
    expect(r2.tasks[0]).toMatchObject({ kind: 'workflow', created_by: auto2, media_id: c.media_id });
    expect((await list(`automation_id=${auto1}&media_id=${c.media_id}`)).ids).toEqual(r1.ids);
    expect((await list(`automation_id=${auto1}&media_id=${a.media_id}`)).ids).toEqual([]);
    expect((await list(`automation_id=${auto1}&kind=workflow&status=pending`)).ids).toEqual(r1.ids);
  });

  it("sees only the caller's project; unknown ids list nothing, wrong-shaped ids are 400", async () => {
    const other = await t.ctx.projects.createProject(`other-${db}`);
    const { key: secret } = await t.ctx.projects.createKey(other.id, { name: 'other' });
    const res = await t.request(`/tasks?media_id=${a.media_id}`, { headers: envelope, key: secret });
    expect(res.status, res.text).toBe(200);
    expect(res.json.data).toEqual([]);
    const auto = await t.request(`/tasks?automation_id=${auto1}`, { headers: envelope, key: secret });
    expect(auto.json.data).toEqual([]);

    expect((await list('media_id=med_0000000000000000000000')).ids).toEqual([]);
    for (const q of ['media_id=file_abc', 'media_id=nonsense', 'automation_id=med_abc']) {
      const bad = await t.request(`/tasks?${q}`, { headers: envelope });
      expect(bad.status, q).toBe(400);
      expect(bad.json.error.code).toBe('request_invalid');
    }
  });

  it.runIf(db === 'sqlite')("reads migration 010's indexes (SQLite's plan)", async () => {
    const plan = async (column: 'media_id' | 'automation_id') => {
      const rows = await sql<{ detail: string }>`explain query plan
        select * from tasks where project_id = ${'p'} and ${sql.ref(column)} = ${'x'}
        order by created desc, id desc limit 20`.execute(t.ctx.store.db);
      return rows.rows.map((r) => r.detail).join('\n');
    };
    expect(await plan('media_id')).toContain('tasks_project_media_created');
    expect(await plan('automation_id')).toContain('tasks_project_automation_created');
    expect(await plan('media_id')).not.toContain('TEMP B-TREE');
  });
});
