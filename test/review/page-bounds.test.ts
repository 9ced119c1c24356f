// Hostile review 5.3: a page or limit too large for SQL answers 400 on every list, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';

const LISTS = [
  '/files',
  '/media',
  '/tasks',
  '/webhooks/deliveries',
  '/webhooks/endpoints',
  '/automations',
  '/events',
];

describe.each(testDatabases())('page and limit bounds (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => t?.close());

  it.each(LISTS)('%s refuses pages and limits that SQL cannot take', async (path) => {
    for (const q of ['page=1e308', 'page=1e20', 'page=100001', 'limit=1e20', 'page=-1', 'limit=0']) {
      const res = await t.request(`${path}?${q}`);
      expect(res.status, `${path}?${q}`).toBe(400);
    }
    const ok = await t.request(`${path}?page=100000&limit=100`);
    expect(ok.status).toBe(200);
  });
});
