// Hostile review 5.4: a file whose header claims 30 s but which holds 9 s of data. It passes the
// probe's tail-decode check (seeking past the real end decodes nothing, without an error), so before
// the fix every media kind "completed" with a 9-s output. Now each fails, saying how much is there.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MediaServer, startMediaServer } from '../helpers/fixtures.js';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';

const run = promisify(execFile);

/** 9 s of video and audio in Matroska, its Segment Duration rewritten to 30 s. */
async function shortMkv(dir: string): Promise<string> {
  const real = join(dir, 'real.mkv');
  await run('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25'],
    ...['-f', 'lavfi', '-i', 'sine=f=440', '-t', '9'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', real],
  ]);
  const bytes = await readFile(real);
  // EBML Duration (0x4489), 8-byte float, in the segment's timecode scale (ms)
  const at = bytes.indexOf(Buffer.from([0x44, 0x89, 0x88]));
  expect(at).toBeGreaterThan(0);
  expect(Math.round(bytes.readDoubleBE(at + 3))).toBeGreaterThan(8900);
  bytes.writeDoubleBE(30_000, at + 3);
  const out = join(dir, 'short.mkv');
  await writeFile(out, bytes);
  return out;
}

describe('a file that probes 30 s but holds 9 s', () => {
  let t: TaskApp;
  let dir: string;
  let server: MediaServer;
  let fileId: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-short-'));
    server = await startMediaServer({ 'short.mkv': await shortMkv(dir) });
    t = await startTaskApp({});
    const res = await t.request('POST', '/files', { url: `${server.url}/short.mkv` });
    expect(res.status).toBe(201);
    // the fixture shows the fault: it is accepted (tail check passed) and claims 30 s
    expect(res.json.duration).toBeCloseTo(30, 0);
    fileId = res.json.id;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runTask(kind: string, options: Record<string, unknown> = {}) {
    const created = await t.create({ kind, file_id: fileId, ...options });
    await t.engine.runUntilIdle();
    return t.task(created.id);
  }

  const held = /The input holds only 9(\.\d)? s of the 30 s its header claims/;

  it.each([
    ['video', {}],
    ['audio', { format: 'mp3' }],
  ])(
    '%s fails with the real length instead of a 9-s output',
    async (kind, options) => {
      const done = await runTask(kind, options);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(held);
      expect(done.output).toBeNull();
    },
    60_000,
  );

  it('a trim inside the real data still works', async () => {
    const done = await runTask('audio', { format: 'mp3', start: 1, end: 5 });
    expect(done.status).toBe('completed');
  }, 60_000);

  it('thumbnails past the real end fail', async () => {
    const done = await runTask('thumbnails', { count: 6 });
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/has no frame at 27\.5 s, though its header claims 30 s/);
  }, 60_000);

  it('an image from a frame past the real end fails; one inside it works', async () => {
    const past = await runTask('image', { start: 20 });
    expect(past.status).toBe('failed');
    expect(past.error).toMatch(/has no frame at 20 s, though its header claims 30 s/);
    const inside = await runTask('image', { start: 4 });
    expect(inside.status).toBe('completed');
  }, 60_000);
});
