// What a key of another project can do to a task (nothing: 404, as for an unknown id, and the task is left
// as it was), and task URLs pointing at private addresses on a server that does not allow them.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type PngServer, startPngServer } from '../helpers/png-server.js';
import { startTaskApp, type TaskApp } from './helpers.js';
import { flakyKind, noteKind } from './kinds.js';

let png: PngServer;
beforeAll(async () => {
  png = await startPngServer();
});
afterAll(async () => {
  await png?.close();
});

describe.each(testDatabases())('tasks of another project (%s)', (db) => {
  let t: TaskApp;
  let otherKey: string;
  beforeEach(async () => {
    t = await startTaskApp({
      db,
      kinds: [noteKind(), flakyKind(1, true, 'fails-once'), flakyKind(1000, false, 'always-flaky')],
    });
    const other = await t.ctx.projects.createProject(`other-${db}`);
    otherKey = (await t.ctx.projects.createKey(other.id)).key;
  });
  afterEach(async () => {
    await t?.close();
  });

  async function inputFile(): Promise<{ id: string }> {
    const res = await t.request('POST', '/files', { url: png.url });
    expect(res.status).toBe(201);
    return res.json;
  }

  const asOther = (action: string, id: string) =>
    t.request('POST', `/tasks/${id}/${action}`, undefined, { authorization: `Bearer ${otherKey}` });

  it('start: 404, and a task waiting out its retry delay stays waiting', async () => {
    const file = await inputFile();
    const task = await t.create({ kind: 'always-flaky', file_id: file.id });
    const slow = t.ctx.createWorker({ retryDelayMs: 600_000 });
    expect(await slow.runUntilIdle()).toBe(1);
    const before = await t.ctx.repos.tasks.getById(task.id);
    expect(before).toMatchObject({ status: 'pending', attempts: 1 });

    const res = await asOther('start', task.id);
    expect(res.status).toBe(404);
    expect(await t.ctx.repos.tasks.getById(task.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      run_after: before!.run_after,
    });
    expect(await slow.runUntilIdle()).toBe(0);
    await slow.stop();
  });

  it('retry: 404, and a failed task stays failed', async () => {
    const file = await inputFile();
    const task = await t.create({ kind: 'fails-once', file_id: file.id });
    await t.engine.runUntilIdle();
    const failed = await t.task(task.id);
    expect(failed.status).toBe('failed');

    const res = await asOther('retry', task.id);
    expect(res.status).toBe(404);
    expect(await t.engine.runUntilIdle()).toBe(0);
    expect(await t.task(task.id)).toMatchObject({ status: 'failed', error: failed.error });
  });

  it('cancel: 404, and a pending task still runs', async () => {
    const file = await inputFile();
    const task = await t.create({ kind: 'note', file_id: file.id });
    const res = await asOther('cancel', task.id);
    expect(res.status).toBe(404);
    expect((await t.task(task.id)).status).toBe('pending');
    expect(await t.engine.runUntilIdle()).toBe(1);
    expect((await t.task(task.id)).status).toBe('completed');
  });

  it('the 404 reads like the one for an unknown id', async () => {
    const file = await inputFile();
    const task = await t.create({ kind: 'note', file_id: file.id });
    const unknown = 'task_0000000000000000';
    for (const action of ['start', 'retry', 'cancel']) {
      const theirs = await asOther(action, task.id);
      const none = await asOther(action, unknown);
      expect(theirs.status, action).toBe(404);
      expect(none.status, action).toBe(404);
      expect(theirs.json.message.replace(task.id, 'X'), action).toBe(none.json.message.replace(unknown, 'X'));
    }
  });
});

describe('task URLs on a server that refuses private addresses', () => {
  let t: TaskApp;
  beforeAll(async () => {
    t = await startTaskApp({ kinds: [noteKind()], env: { MEDIARY_ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  // a public address literal: checked without DNS, never fetched (the task is refused first)
  const PUBLIC_INPUT = 'https://93.184.215.14/in.png';
  const PRIVATE = [
    'http://127.0.0.1:8080/x',
    'http://10.1.2.3/x',
    'http://192.168.0.10/x',
    'http://[::1]/x',
    'http://localhost/x',
  ];

  async function expectForbidden(body: Record<string, unknown>, field: string) {
    for (const version of ['2025-08-20', '2025-01-01']) {
      const res = await t.request('POST', '/tasks', body, { 'accept-version': version });
      expect(res.status, JSON.stringify(body)).toBe(400);
      if (version === '2025-01-01') {
        expect(res.json.error.code).toBe('url_forbidden');
        expect(res.json.error.message).toContain(field);
      } else {
        expect(res.json.message).toContain(field);
      }
    }
  }

  it('a private input url → 400 url_forbidden, and no task is made', async () => {
    for (const url of PRIVATE) await expectForbidden({ kind: 'note', url }, 'url');
    const list = await t.request('GET', '/tasks');
    expect(list.json).toEqual([]);
  });

  it('a private webhook_url → 400 url_forbidden, and no task is made', async () => {
    for (const url of PRIVATE) {
      await expectForbidden({ kind: 'note', url: PUBLIC_INPUT, webhook_url: url }, 'webhook_url');
    }
    const list = await t.request('GET', '/tasks');
    expect(list.json).toEqual([]);
  });

  it('the same public input is accepted (the refusals above are about the address)', async () => {
    const created = await t.request('POST', '/tasks', {
      kind: 'note',
      url: PUBLIC_INPUT,
      webhook_url: 'https://93.184.215.14/hook',
    });
    expect(created.status).toBe(201);
    // never run: the input would be fetched from the internet
    expect((await t.request('POST', `/tasks/${created.json.id}/cancel`)).status).toBe(200);
  });
});
