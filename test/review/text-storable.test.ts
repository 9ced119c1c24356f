// Hostile review 5.5: NUL and lone surrogates in metadata are refused (400) on every store; PostgreSQL
// rejects NUL in text and answered 500. Names are sanitised to a safe alphabet (paths.ts) and never hold them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';

describe.each(testDatabases())('NUL and lone surrogates (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => t?.close());

  it('media metadata with NUL or a lone surrogate is 400; names are sanitised', async () => {
    for (const raw of [
      '{"metadata":{"a":"x\\u0000y"}}',
      '{"metadata":{"a":"\\ud800"}}',
      '{"metadata":{"\\u0000":"v"}}',
    ]) {
      const r = await t.request('/media', {
        method: 'POST',
        raw,
        headers: { 'content-type': 'application/json' },
      });
      expect(r.status, raw).toBe(400);
    }
    const ok = await t.request('/media', {
      method: 'POST',
      raw: '{"title":"a\\u0000b\\ud800","metadata":{"a":"fine 😀"}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(400);
  });
});
