import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
  webhookHeaders,
} from '../../src/services/webhook-signature.js';
import { nextAttemptAt, RETRY_BASE_MS, RETRY_CAP_MS } from '../../src/services/webhooks.service.js';

const SECRET = `whsec_${Buffer.from('0123456789abcdefghijklmnopqrstuv').toString('base64')}`;
const BODY = JSON.stringify({ id: 'task_abc', object: 'task', status: 'completed', name: 'é ✓' });

describe('Standard Webhooks signatures', () => {
  it('matches the official library in both directions', () => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders(SECRET, 'whd_1', ts, BODY);
    const lib = new Webhook(SECRET);
    expect(lib.verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(lib.sign('whd_1', new Date(ts * 1000), BODY)).toBe(headers['webhook-signature']);
    expect(() => verifyWebhook(SECRET, { ...headers }, BODY)).not.toThrow();
  });

  it('signs the exact bytes, id and timestamp', () => {
    const ts = Math.floor(Date.now() / 1000);
    const h = webhookHeaders(SECRET, 'whd_1', ts, BODY);
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const bad =
      (headers: Record<string, string>, body = BODY) =>
      () =>
        verifyWebhook(SECRET, headers, body);
    expect(bad({ ...h }, `${BODY} `)).toThrow(WebhookVerificationError);
    expect(bad({ ...h, 'webhook-id': 'whd_2' })).toThrow(WebhookVerificationError);
    expect(bad({ ...h, 'webhook-timestamp': String(ts + 1) })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(SECRET).verify(`${BODY} `, { ...h })).toThrow();
  });

  it('rejects timestamps from the future beyond the tolerance, properly signed or not', () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ahead of [3600, 5 * 60 + 30, 365 * 24 * 3600]) {
      const ts = now + ahead;
      const headers = webhookHeaders(SECRET, 'x', ts, BODY);
      expect(() => verifyWebhook(SECRET, headers, BODY), `+${ahead}s`).toThrow(/tolerance/);
      expect(() => new Webhook(SECRET).verify(BODY, { ...headers }), `library, +${ahead}s`).toThrow();
    }
    // the same check against an explicit clock and tolerance
    const h = webhookHeaders(SECRET, 'x', 1_000_100, BODY);
    expect(() => verifyWebhook(SECRET, h, BODY, { nowSeconds: 1_000_000, toleranceSeconds: 60 })).toThrow(
      /tolerance/,
    );
    expect(() =>
      verifyWebhook(SECRET, h, BODY, { nowSeconds: 1_000_000, toleranceSeconds: 120 }),
    ).not.toThrow();
  });

  it('rejects stale timestamps and accepts any one of several signatures or secrets', () => {
    const old = Math.floor(Date.now() / 1000) - 3600;
    expect(() => verifyWebhook(SECRET, webhookHeaders(SECRET, 'x', old, BODY), BODY)).toThrow(/tolerance/);
    const ts = Math.floor(Date.now() / 1000);
    const other = `whsec_${Buffer.from('another secret of some length!!').toString('base64')}`;
    const sig = `v1,AAAA ${signWebhook(SECRET, 'x', ts, BODY)}`;
    const headers = { 'Webhook-Id': 'x', 'Webhook-Timestamp': String(ts), 'Webhook-Signature': sig };
    expect(() => verifyWebhook(SECRET, headers, BODY)).not.toThrow();
    expect(() => verifyWebhook([other, SECRET], headers, BODY)).not.toThrow();
    expect(() => verifyWebhook(other, headers, BODY)).toThrow(/no matching/);
  });
});

describe('retry schedule', () => {
  const day = 24 * 3_600_000;

  it('doubles from 5 s with ±20 % jitter, capped at an hour', () => {
    for (const [attempts, base] of [
      [1, RETRY_BASE_MS],
      [2, 2 * RETRY_BASE_MS],
      [5, 16 * RETRY_BASE_MS],
      [30, RETRY_CAP_MS],
    ] as const) {
      const t = 1_000_000;
      expect(nextAttemptAt(0, attempts, t, day, () => 0.5)).toBe(t + base);
      expect(nextAttemptAt(0, attempts, t, day, () => 0)).toBe(t + base * 0.8);
      expect(nextAttemptAt(0, attempts, t, day, () => 0.999999)).toBeCloseTo(t + base * 1.2, -1);
    }
  });

  it('keeps retrying for the whole horizon and ends exactly at it', () => {
    const created = 1_700_000_000_000;
    let now = created;
    const times = [now];
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt(created, attempts, now, day, Math.random);
      if (next === null) break;
      expect(next).toBeGreaterThan(now);
      now = next;
      times.push(now);
    }
    expect(times.at(-1)).toBe(created + day);
    expect(times.at(-2)).toBeLessThan(created + day);
    // 5 s doubling reaches the one-hour cap after ~12 attempts; hourly after that
    expect(times.length).toBeGreaterThan(25);
    expect(times.length).toBeLessThan(45);
  });

  it('gives up at once with a zero horizon', () => {
    expect(nextAttemptAt(1000, 1, 1000, 0)).toBeNull();
  });
});
