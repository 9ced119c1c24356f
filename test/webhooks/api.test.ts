import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookDispatcher } from '../../src/worker/webhook-dispatcher.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { type Receiver, startReceiver } from './helpers.js';

const G3 = { 'accept-version': '2025-08-20' };

let t: TestApp;
let receiver: Receiver;
let projectId: string;
let otherKey: string;
let dispatcher: WebhookDispatcher;

beforeAll(async () => {
  // a zero horizon: a failed attempt fails the delivery at once, so the retry route has something to do
  t = await startTestApp({ env: { MEDIARY_WEBHOOK_RETRY_HOURS: '0' } });
  receiver = await startReceiver('http');
  projectId = (await t.ctx.projects.authenticate(t.key))!.projectId;
  await t.ctx.projects.createProject('other');
  otherKey = (await t.ctx.projects.createKey('other')).key;
  dispatcher = new WebhookDispatcher(t.ctx);
});

afterAll(async () => {
  await receiver.close();
  await t.close();
});

async function deliver(path: string) {
  const row = await t.ctx.webhooks.enqueue({
    projectId,
    url: `${receiver.origin}${path}`,
    type: 'task.completed',
    payload: { id: 'task_abc', status: 'completed' },
    taskId: 'task_abc',
  });
  await dispatcher.runUntilIdle();
  return row;
}

describe('webhook secret', () => {
  it('shows the project secret and rotation changes the signing key', async () => {
    const shown = await t.request('/webhooks/secret');
    expect(shown.status).toBe(200);
    const secret = shown.json.data.secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect((await t.request('/webhooks/secret', { headers: G3 })).json).toEqual({ secret });

    await deliver('/before');
    const before = receiver.received.at(-1)!;
    expect(new Webhook(secret).verify(before.body, before.headers as Record<string, string>)).toBeTruthy();

    const rotated = await t.request('/webhooks/secret/rotate', { method: 'POST', headers: G3 });
    expect(rotated.status).toBe(200);
    const next = rotated.json.secret as string;
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    expect((await t.request('/webhooks/secret', { headers: G3 })).json.secret).toBe(next);

    await deliver('/after');
    const after = receiver.received.at(-1)!;
    const headers = after.headers as Record<string, string>;
    expect(new Webhook(next).verify(after.body, headers)).toBeTruthy();
    expect(() => new Webhook(secret).verify(after.body, headers)).toThrow();
  });

  it("another project's key sees its own secret", async () => {
    const mine = (await t.request('/webhooks/secret', { headers: G3 })).json.secret;
    const theirs = (await t.request('/webhooks/secret', { headers: G3, key: otherKey })).json.secret;
    expect(theirs).toMatch(/^whsec_/);
    expect(theirs).not.toBe(mine);
  });

  it('needs an API key', async () => {
    expect((await t.request('/webhooks/secret', { noAuth: true })).status).toBe(401);
  });
});

describe('webhook deliveries', () => {
  it("lists deliveries newest first with their attempts, only for the caller's project", async () => {
    receiver.respond = () => 200;
    const older = await deliver('/list-1?a=1');
    const newer = await deliver('/list-2');

    const list = await t.request('/webhooks/deliveries?limit=2');
    expect(list.status).toBe(200);
    expect(list.json.meta).toMatchObject({ type: 'list', limit: 2, page: 1 });
    expect(list.json.data.map((d: { id: string }) => d.id)).toEqual([newer.id, older.id]);
    const d = list.json.data[1];
    expect(d).toMatchObject({
      id: older.id,
      object: 'webhook_delivery',
      project_id: projectId,
      task_id: 'task_abc',
      type: 'task.completed',
      url: `${receiver.origin}/list-1?a=1`,
      status: 'succeeded',
      attempt_count: 1,
      next_attempt_at: null,
      last_status: 200,
      last_error: null,
      payload: { id: 'task_abc', status: 'completed' },
    });
    expect(d.attempts).toEqual([
      {
        attempt: 1,
        started: expect.any(String),
        duration_ms: expect.any(Number),
        status_code: 200,
        error: null,
      },
    ]);

    const bare = await t.request('/webhooks/deliveries?status=succeeded&task_id=task_abc', { headers: G3 });
    expect(Array.isArray(bare.json)).toBe(true);
    expect(bare.json.length).toBeGreaterThanOrEqual(2);
    expect(bare.headers['x-total-count']).toBe(String(bare.json.length));

    const other = await t.request('/webhooks/deliveries', { key: otherKey, headers: G3 });
    expect(other.status).toBe(200);
    expect(other.json).toEqual([]);
  });

  it('gets one delivery; other projects get 404, malformed ids 400', async () => {
    const row = await deliver('/one');
    const got = await t.request(`/webhooks/deliveries/${row.id}`, { headers: G3 });
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ id: row.id, status: 'succeeded', attempts: [{ attempt: 1 }] });

    const foreign = await t.request(`/webhooks/deliveries/${row.id}`, { key: otherKey, headers: G3 });
    expect(foreign.status).toBe(404);
    expect(foreign.json.message).toMatch(/not found/);
    const retryForeign = await t.request(`/webhooks/deliveries/${row.id}/retry`, {
      method: 'POST',
      key: otherKey,
    });
    expect(retryForeign.status).toBe(404);

    expect((await t.request('/webhooks/deliveries/whd_doesnotexist00', { headers: G3 })).status).toBe(404);
    expect((await t.request('/webhooks/deliveries/task_abc', { headers: G3 })).status).toBe(400);
  });

  it('retries a failed delivery on request', async () => {
    receiver.respond = () => 500;
    const row = await deliver('/retry-me');
    const failed = await t.request(`/webhooks/deliveries/${row.id}`, { headers: G3 });
    expect(failed.json).toMatchObject({
      status: 'failed',
      attempt_count: 1,
      last_status: 500,
      last_error: 'HTTP 500',
    });

    receiver.respond = () => 200;
    const retried = await t.request(`/webhooks/deliveries/${row.id}/retry`, { method: 'POST', headers: G3 });
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ id: row.id, status: 'pending' });
    await dispatcher.runUntilIdle();

    const done = await t.request(`/webhooks/deliveries/${row.id}`, { headers: G3 });
    expect(done.json).toMatchObject({ status: 'succeeded', attempt_count: 2, last_status: 200 });
    expect(done.json.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);
    const ids = receiver.received.filter((r) => r.url === '/retry-me').map((r) => r.headers['webhook-id']);
    expect(ids).toEqual([row.id, row.id]);
  });
});
