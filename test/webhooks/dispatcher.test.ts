import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/services/webhook-signature.js';
import { deliveryState, type Receiver, startReceiver, type WebhookEnv, webhookEnv } from './helpers.js';

const PAYLOAD = {
  id: 'task_0123456789abcdef',
  object: 'task',
  kind: 'nsfw',
  status: 'completed',
  results: { detected: false },
  project_id: 'prj_x',
  automation_id: null,
  completed: '2025-01-01T00:00:00.000Z',
};

let tls: Receiver;
let plain: Receiver;

beforeAll(async () => {
  tls = await startReceiver('https');
  plain = await startReceiver('http');
});

afterAll(async () => {
  await tls.close();
  await plain.close();
});

afterEach(() => {
  for (const r of [tls, plain]) {
    r.received.length = 0;
    r.respond = () => 200;
  }
});

describe('webhook dispatcher (SQLite)', () => {
  let env: WebhookEnv;
  beforeAll(async () => {
    env = await webhookEnv({ env: { MEDIARY_WEBHOOK_TIMEOUT_MS: '300' } });
  });
  afterAll(() => env.close());
  afterEach(async () => {
    // leftovers from one test must not become due when the next one moves the clock
    await env.ctx.store.db
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', next_attempt_at: null })
      .where('status', '=', 'pending')
      .execute();
  });

  async function enqueue(url: string, payload: unknown = PAYLOAD) {
    return env.webhooks.enqueue({
      projectId: env.projectId,
      url,
      type: 'task.completed',
      payload,
      taskId: 'task_0123456789abcdef',
    });
  }

  it('POSTs over HTTPS with Standard Webhooks headers that verify, keeping the query string', async () => {
    env.clock.now = Date.now();
    const row = await enqueue(`${tls.origin}/hooks/ittybit?kind=nsfw&ref=a%20b&x=1`);
    const d = env.dispatcher({ ca: tls.ca });
    expect(await d.runUntilIdle()).toBe(1);

    expect(tls.received).toHaveLength(1);
    const r = tls.received[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/hooks/ittybit?kind=nsfw&ref=a%20b&x=1');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['webhook-id']).toBe(row.id);
    expect(r.headers['webhook-timestamp']).toBe(String(Math.floor(env.clock.now / 1000)));
    expect(JSON.parse(r.body)).toEqual(PAYLOAD);

    const secret = await env.ctx.projects.webhookSecret(env.projectId);
    const headers = r.headers as Record<string, string>;
    expect(() => verifyWebhook(secret, headers, r.body)).not.toThrow();
    expect(new Webhook(secret).verify(r.body, headers)).toEqual(PAYLOAD);

    const { delivery, attempts } = await deliveryState(env.ctx, row.id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, last_status: 200, last_error: null });
    expect(delivery.next_attempt_at).toBeNull();
    expect(delivery.lease_until).toBeNull();
    expect(attempts).toEqual([
      expect.objectContaining({ attempt: 1, status_code: 200, error: null, started: expect.any(String) }),
    ]);
    expect(attempts[0]!.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('sends payload text byte for byte', async () => {
    env.clock.now = Date.now();
    const text = '{"b":1,  "a":"\\u00e9"}';
    await enqueue(`${plain.origin}/raw`, text);
    await env.dispatcher().runUntilIdle();
    expect(plain.received[0]!.body).toBe(text);
    const secret = await env.ctx.projects.webhookSecret(env.projectId);
    expect(() =>
      new Webhook(secret).verify(text, plain.received[0]!.headers as Record<string, string>),
    ).not.toThrow();
  });

  it('refuses an untrusted certificate (verification is on by default)', async () => {
    env.clock.now = Date.now();
    const row = await enqueue(`${tls.origin}/untrusted`);
    await env.dispatcher().runUntilIdle();
    expect(tls.received).toHaveLength(0);
    const { delivery, attempts } = await deliveryState(env.ctx, row.id);
    expect(delivery.status).toBe('pending');
    expect(attempts[0]!.error).toMatch(/TLS certificate/);
  });

  it('retries after a 500 and records both attempts', async () => {
    env.clock.now = Date.now();
    plain.respond = (_r, n) => (n === 1 ? 500 : 204);
    const row = await enqueue(`${plain.origin}/flaky`);
    const d = env.dispatcher();
    expect(await d.runUntilIdle()).toBe(1);
    let s = await deliveryState(env.ctx, row.id);
    expect(s.delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: 500,
      last_error: 'HTTP 500',
    });
    const due = Date.parse(s.delivery.next_attempt_at!);
    expect(due - env.clock.now).toBe(5_000); // first backoff step, jitter pinned to the middle

    expect(await d.runUntilIdle()).toBe(0); // not due yet
    env.clock.now = due;
    expect(await d.runUntilIdle()).toBe(1);
    s = await deliveryState(env.ctx, row.id);
    expect(s.delivery).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      last_status: 204,
      last_error: null,
    });
    expect(s.attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 204, null],
    ]);
    expect(plain.received.map((r) => r.headers['webhook-id'])).toEqual([row.id, row.id]);
    expect(Date.parse(s.attempts[1]!.started) - Date.parse(s.attempts[0]!.started)).toBe(5_000);
  });

  it('counts no answer within the timeout as a failure and retries', async () => {
    env.clock.now = Date.now();
    plain.respond = (_r, n) => (n === 1 ? 'hang' : 200);
    const row = await enqueue(`${plain.origin}/slow`);
    const d = env.dispatcher();
    await d.runUntilIdle();
    let s = await deliveryState(env.ctx, row.id);
    expect(s.delivery).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    expect(s.attempts[0]!.error).toBe('no response within 300 ms');
    expect(s.attempts[0]!.duration_ms).toBeGreaterThanOrEqual(250);
    env.clock.now = Date.parse(s.delivery.next_attempt_at!);
    await d.runUntilIdle();
    s = await deliveryState(env.ctx, row.id);
    expect(s.delivery.status).toBe('succeeded');
    expect(s.attempts).toHaveLength(2);
  });

  it('does not follow redirects', async () => {
    env.clock.now = Date.now();
    plain.respond = () => 302;
    const row = await enqueue(`${plain.origin}/moved`);
    await env.dispatcher().runUntilIdle();
    const s = await deliveryState(env.ctx, row.id);
    expect(s.delivery).toMatchObject({ status: 'pending', last_status: 302 });
    expect(s.delivery.last_error).toMatch(/redirects are not followed/);
    expect(plain.received).toHaveLength(1);
  });

  it('records a refused connection and retries it', async () => {
    env.clock.now = Date.now();
    const dead = await startReceiver('http');
    await dead.close();
    const row = await enqueue(`${dead.origin}/gone`);
    await env.dispatcher().runUntilIdle();
    const s = await deliveryState(env.ctx, row.id);
    expect(s.delivery).toMatchObject({ status: 'pending', last_error: 'the connection was refused' });
  });

  it('signs every attempt with the current secret (rotation applies to retries)', async () => {
    env.clock.now = Date.now();
    plain.respond = (_r, n) => (n === 1 ? 503 : 200);
    const row = await enqueue(`${plain.origin}/rotate`);
    const d = env.dispatcher();
    await d.runUntilIdle();
    const before = await env.ctx.projects.webhookSecret(env.projectId);
    const after = await env.ctx.projects.rotateWebhookSecret(env.projectId);
    env.clock.now = Date.parse((await deliveryState(env.ctx, row.id)).delivery.next_attempt_at!);
    await d.runUntilIdle();
    const [first, second] = plain.received;
    const now = Math.floor(env.clock.now / 1000);
    const h = (r: typeof first) => r!.headers as Record<string, string>;
    expect(() => verifyWebhook(before, h(first), first!.body, { nowSeconds: now })).not.toThrow();
    expect(() => verifyWebhook(after, h(second), second!.body, { nowSeconds: now })).not.toThrow();
    expect(() => verifyWebhook(before, h(second), second!.body, { nowSeconds: now })).toThrow();
  });

  it('retries until the configured horizon, then fails (no real waiting)', async () => {
    const short = await webhookEnv({ env: { MEDIARY_WEBHOOK_RETRY_HOURS: '1' } });
    try {
      plain.respond = () => 500;
      const created = short.clock.now;
      const row = await short.webhooks.enqueue({
        projectId: short.projectId,
        url: `${plain.origin}/down`,
        type: 'task.failed',
        payload: PAYLOAD,
      });
      const d = short.dispatcher();
      const times: number[] = [];
      for (let i = 0; i < 100; i++) {
        times.push(short.clock.now);
        expect(await d.runUntilIdle()).toBe(1);
        const { delivery } = await deliveryState(short.ctx, row.id);
        if (delivery.status === 'failed') break;
        short.clock.now = Date.parse(delivery.next_attempt_at!);
      }
      const offsets = times.map((t) => (t - created) / 1000);
      // 5 s doubling (jitter pinned), then the last retry lands exactly on the one-hour horizon
      expect(offsets).toEqual([0, 5, 15, 35, 75, 155, 315, 635, 1275, 2555, 3600]);
      const s = await deliveryState(short.ctx, row.id);
      expect(s.delivery).toMatchObject({ status: 'failed', attempts: 11, last_status: 500 });
      expect(s.delivery.next_attempt_at).toBeNull();
      expect(s.attempts).toHaveLength(11);
      expect(plain.received).toHaveLength(11);
    } finally {
      await short.close();
    }
  });

  it('an expired lease makes a row claimable again; a live one does not', async () => {
    env.clock.now = Date.now();
    const row = await enqueue(`${plain.origin}/lease`);
    const lease = new Date(env.clock.now + 60_000).toISOString();
    await env.ctx.store.db
      .updateTable('webhook_deliveries')
      .set({ lease_until: lease, lease_owner: 'crashed-process' })
      .where('id', '=', row.id)
      .execute();
    const d = env.dispatcher();
    expect(await d.runUntilIdle()).toBe(0);
    env.clock.now += 60_001;
    expect(await d.runUntilIdle()).toBe(1);
    expect((await deliveryState(env.ctx, row.id)).delivery.status).toBe('succeeded');
  });

  it('wakes at once on an in-process enqueue when started', async () => {
    env.clock.now = Date.now();
    const d = env.dispatcher({ pollMs: 600_000 });
    d.start();
    await enqueue(`${plain.origin}/first`);
    await plain.waitFor(1, 5_000);
    // the dispatcher is now done with its pass (or finishing it) and would sleep for ten minutes
    await enqueue(`${plain.origin}/wake`);
    await plain.waitFor(2, 5_000);
    await d.stop();
    expect(plain.received.map((r) => r.url)).toEqual(['/first', '/wake']);
  });
});

describe('SSRF rules', () => {
  it('refuses a private address when private URLs are not allowed, without sending', async () => {
    const env = await webhookEnv({ env: { MEDIARY_ALLOW_PRIVATE_URLS: 'false' } });
    try {
      const mk = (url: string) =>
        env.webhooks.enqueue({ projectId: env.projectId, url, type: 'task.completed', payload: PAYLOAD });
      const literal = await mk(`${plain.origin}/private`);
      const named = await mk(`http://localhost:${new URL(plain.origin).port}/private`);
      const meta = await mk('http://169.254.169.254/latest/meta-data');
      expect(await env.dispatcher().runUntilIdle()).toBe(3);
      expect(plain.received).toHaveLength(0);
      for (const id of [literal.id, named.id, meta.id]) {
        const s = await deliveryState(env.ctx, id);
        expect(s.delivery).toMatchObject({ status: 'failed', attempts: 1, last_status: null });
        expect(s.delivery.last_error).toMatch(/not allowed.*MEDIARY_ALLOW_PRIVATE_URLS/);
        expect(s.attempts).toHaveLength(1);
      }
      await expect(env.webhooks.validateUrl(`${plain.origin}/x`)).rejects.toMatchObject({
        code: 'url_forbidden',
        status: 400,
      });
      await expect(env.webhooks.validateUrl('ftp://example.com/x')).rejects.toMatchObject({
        code: 'url_invalid',
      });
    } finally {
      await env.close();
    }
  });
});

describe('restart', () => {
  it('delivers what was enqueued before the process stopped', async () => {
    const first = await webhookEnv({ keepDataDir: true });
    const row = await first.ctx.webhooks.enqueue({
      projectId: first.projectId,
      url: `${plain.origin}/after-restart?x=1`,
      type: 'task.completed',
      payload: PAYLOAD,
    });
    await first.close();

    const second = await webhookEnv({ dataDir: first.dataDir });
    try {
      expect(second.config.databaseUrl).toBe(first.config.databaseUrl);
      second.clock.now = Date.now();
      expect(await second.dispatcher().runUntilIdle()).toBe(1);
      expect(plain.received.map((r) => r.url)).toEqual(['/after-restart?x=1']);
      expect(plain.received[0]!.headers['webhook-id']).toBe(row.id);
      expect((await deliveryState(second.ctx, row.id)).delivery.status).toBe('succeeded');
    } finally {
      await second.close();
    }
  });
});
