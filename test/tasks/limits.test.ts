// Hostile inputs given to tasks by URL: a decompression bomb and media over the configured limits fail the
// task with a clear error, leave no file behind, and the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import { startTaskApp, type TaskApp } from './helpers.js';

let fx: Fixtures;
let server: MediaServer;
let t: TaskApp;
beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({ 'bomb.png': fx.bombPng, 'clip.mp4': fx.mp4, 'pixel.png': fx.png });
  // the 2 s clip is over a 1 s duration limit; the 64×48 image is over a 1000-pixel limit
  t = await startTaskApp({ env: { MEDIARY_MAX_DURATION_SECONDS: '1', MEDIARY_MAX_PIXELS: '1000' } });
});
afterAll(async () => {
  await t?.close();
  await server?.close();
});

describe('tasks on inputs over the limits', () => {
  it.each([
    ['image', 'bomb.png', /pixels|too large|limit/i],
    ['image', 'pixel.png', /pixels|too large|limit/i],
    ['video', 'clip.mp4', /lasts .*limit is 1 s/],
    ['audio', 'clip.mp4', /lasts .*limit is 1 s/],
  ])('%s task on %s fails with a clear error', async (kind, name, message) => {
    const before = (await t.request('GET', '/files?limit=100')).json.length;
    const started = Date.now();
    const created = await t.create({ kind, url: `${server.url}/${name}` });
    await t.engine.runUntilIdle();
    const done = await t.task(created.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(message);
    expect(done.output).toBeNull();
    // refused from the header, not by decoding 900 megapixels
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await t.request('GET', '/files?limit=100')).json.length).toBe(before);
    expect((await t.request('GET', '/tasks?limit=1')).status).toBe(200);
  });

  it('the same bomb sent to POST /files is a 400 that names the limit', async () => {
    const res = await t.request('POST', '/files', { url: `${server.url}/bomb.png` });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/pixels|too large|limit/i);
  });
});
