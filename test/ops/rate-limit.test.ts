// Rate limits per API key: off by default; when set, RateLimit-* headers on every API answer and 429 with
// Retry-After in the request's version shape once a key's bucket is empty.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RateLimiter } from '../../src/lib/rate-limit.js';
import { startTaskApp } from '../tasks/helpers.js';

describe('token bucket', () => {
  it('allows the burst, then one request per refill interval', () => {
    let t = 0;
    const rl = new RateLimiter({ perMinute: 60, burst: 3 }, () => t);
    expect([1, 2, 3].map(() => rl.take('k').allowed)).toEqual([true, true, true]);
    const refused = rl.take('k');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, policy: '3;w=3' });
    expect(rl.take('other').allowed).toBe(true);
    t += 1000;
    expect(rl.take('k').allowed).toBe(true);
    expect(rl.take('k').allowed).toBe(false);
  });

  it('is off unless configured', () => {
    const c = loadConfig({ MEDIARY_DATA_DIR: '/tmp/x' });
    expect(c.rateLimit.perMinute).toBe(0);
    expect(new RateLimiter(c.rateLimit).enabled).toBe(false);
    expect(
      loadConfig({ MEDIARY_DATA_DIR: '/tmp/x', MEDIARY_RATE_LIMIT_PER_MINUTE: '120' }).rateLimit,
    ).toEqual({
      perMinute: 120,
      burst: 120,
    });
  });
});

describe('rate-limited API', () => {
  it('answers 429 with Retry-After and RateLimit-* in the version shape', async () => {
    const t = await startTaskApp({
      env: { MEDIARY_RATE_LIMIT_PER_MINUTE: '6', MEDIARY_RATE_LIMIT_BURST: '2' },
    });
    try {
      const first = await t.request('GET', '/tasks');
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-limit']).toBe('2');
      expect(first.headers['ratelimit-remaining']).toBe('1');
      expect(first.headers['ratelimit-policy']).toBe('2;w=20');
      expect((await t.request('GET', '/tasks')).status).toBe(200);
      const bare = await t.request('GET', '/tasks');
      expect(bare.status).toBe(429);
      expect(bare.headers['retry-after']).toBe('10');
      expect(bare.headers['ratelimit-remaining']).toBe('0');
      expect(bare.json.kind).toBe('rate_limited');
      const envelope = await t.request('GET', '/tasks', undefined, { 'accept-version': '2025-07-01' });
      expect(envelope.status).toBe(429);
      expect(envelope.json.error.code).toBe('rate_limited');
      expect(envelope.json.data).toBeNull();
      // liveness is not an API call
      expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('adds nothing when off', async () => {
    const t = await startTaskApp();
    try {
      const res = await t.request('GET', '/tasks');
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
