// Errors Fastify's router raises before any hook (found by the fuzz suite): a path segment past the router's
// limit, a URL that does not decode. Both answer in the version's error shape, never Fastify's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('router errors in the API error shapes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a path segment over the limit: 414, bare or enveloped as asked', async () => {
    const long = `file_${'a'.repeat(2000)}`;
    const bare = await t.request(`/files/${long}`, { headers: { 'accept-version': '2025-08-20' } });
    expect(bare.status).toBe(414);
    expect(bare.json).toEqual({ kind: 'request_invalid', message: 'A path segment of the URL is too long.' });
    const envelope = await t.request(`/files/${long}`, { headers: { 'accept-version': '2025-07-01' } });
    expect(envelope.status).toBe(414);
    expect(envelope.json).toMatchObject({
      data: null,
      meta: { type: 'error' },
      error: { code: 'request_invalid' },
    });
  });

  it('a URL that does not decode: 400 in the error shape', async () => {
    const res = await t.request('/files/%ED%A0%80', { headers: { 'accept-version': '2025-08-20' } });
    expect(res.status).toBe(400);
    expect(res.json.kind).toBe('request_invalid');
  });
});
