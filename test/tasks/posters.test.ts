// The automatic poster (MEDIARY_AUTO_POSTER, docs/tasks.md): a new video or image media gets one `image`
// task making a 320-px-wide WebP with ref "poster" (media.urls.poster); audio gets none, task outputs
// (the poster itself included) get none, and the setting turns it off.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/services/projects.service.js';
import { testDatabases } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';
import { startTaskApp, type TaskApp } from './helpers.js';

let fx: Fixtures;
let server: MediaServer;

beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({ 'pixel.png': fx.png, 'clip.mp4': fx.mp4 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

describe.each(testDatabases())('automatic posters (%s)', (db) => {
  let t: TaskApp;
  let auth: AuthContext;

  afterEach(async () => {
    await t?.close();
  });

  async function start(autoPoster: boolean) {
    t = await startTaskApp({ db, env: { MEDIARY_AUTO_POSTER: String(autoPoster) } });
    auth = (await t.ctx.projects.authenticate(t.key))!;
  }

  async function copied(path: string, name: string): Promise<string> {
    const copy = join(t.dataDir, `${Math.random()}-${name}`);
    await copyFile(path, copy);
    return copy;
  }

  /** An upload: the bytes of `path` ingested as a new media (what PUT, chunked and tus uploads end in). */
  async function upload(path: string, name: string) {
    return t.ctx.ingest.ingestLocalFile(auth, await copied(path, name), {
      createdBy: auth.keyId,
      filenameHint: name,
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  async function tasks(): Promise<any[]> {
    const res = await t.request('GET', '/tasks?limit=100');
    expect(res.status).toBe(200);
    return res.json;
  }

  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  async function media(id: string): Promise<any> {
    const res = await t.request('GET', `/media/${id}`);
    expect(res.status).toBe(200);
    return res.json;
  }

  async function posterOf(mediaId: string) {
    const files = await t.ctx.repos.media.filesOfMedia(auth.projectId, [mediaId]);
    const poster = files.filter((f) => f.ref === 'poster');
    expect(poster).toHaveLength(1);
    const local = await t.ctx.blobs.localFile(poster[0].blob_key!);
    try {
      return { row: poster[0], meta: await sharp(local.path).metadata() };
    } finally {
      await local.cleanup();
    }
  }

  it('a video upload and an image from a URL each get urls.poster: a 320-px WebP; audio gets none', async () => {
    await start(true);
    const video = await upload(fx.mp4, 'clip.mp4');
    const image = await t.request('POST', '/files', { url: `${server.url}/pixel.png` });
    expect(image.status).toBe(201);
    const audio = await upload(fx.mp3, 'tone.mp3');

    const queued = await tasks();
    expect(queued).toHaveLength(2);
    for (const task of queued) {
      expect(task.kind).toBe('image');
      expect(task.created_by).toBe('mediary');
      expect(task.options).toMatchObject({ width: 320, format: 'webp', ref: 'poster' });
    }
    expect(queued.map((x) => x.input.media_id ?? x.input.id).length).toBe(2);

    await t.engine.runUntilIdle();
    const after = await tasks();
    // no loop: the posters (task outputs) made no poster of their own
    expect(after).toHaveLength(2);
    expect(after.map((x) => x.status)).toEqual(['completed', 'completed']);

    for (const id of [video.media_id, image.json.media_id]) {
      const m = await media(id);
      expect(m.urls.poster).toMatch(/^https:\/\/cdn\.test\.local\//);
      expect(m.urls.original).toBeDefined();
      const { row, meta } = await posterOf(id);
      expect(meta.format).toBe('webp');
      expect(meta.width).toBe(320);
      expect(row.kind).toBe('image');
      expect(row.original).toBe(0);
    }
    const a = await media(audio.media_id);
    expect(a.urls.poster).toBeUndefined();
    // the media's kind is still its original's
    expect((await media(video.media_id)).kind).toBe('video');
  }, 60_000);

  it("a poster lands in its original's folder, so a private folder's video gets a private poster", async () => {
    await start(true);
    await t.request('PATCH', '/project/settings', { private_prefixes: ['private'] });
    const video = await upload(fx.mp4, 'clip.mp4');
    const hidden = await t.ctx.ingest.ingestLocalFile(auth, await copied(fx.mp4, 'secret.mp4'), {
      createdBy: auth.keyId,
      folder: 'private/clips',
      filenameHint: 'secret.mp4',
    });
    await t.engine.runUntilIdle();
    expect((await posterOf(hidden.media_id)).row.folder).toBe('private/clips');
    expect((await posterOf(video.media_id)).row.folder).toBeNull();
    // and the delivery rules see it as private: a read of its path needs a signature
    const poster = (await posterOf(hidden.media_id)).row;
    const access = await t.ctx.delivery.settings(auth.projectId);
    expect(access.private_prefixes).toEqual(['private']);
    expect(poster.path.startsWith('private/clips/')).toBe(true);
  }, 60_000);

  it('a file added to an existing media, or made by a task, gets no poster', async () => {
    await start(true);
    const video = await upload(fx.mp4, 'clip.mp4');
    await t.engine.runUntilIdle();
    const copy = join(t.dataDir, 'second.png');
    await copyFile(fx.png, copy);
    await t.ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId, mediaId: video.media_id });
    await t.create({ kind: 'image', file_id: video.id, width: 64, format: 'png' });
    await t.engine.runUntilIdle();
    const all = await tasks();
    expect(all.filter((x) => x.created_by === 'mediary')).toHaveLength(1);
    expect(all).toHaveLength(2);
  }, 60_000);

  it("the poster task's own events set off no automation; the upload's do", async () => {
    await start(true);
    for (const event of ['file.created', 'task.completed']) {
      const res = await t.request('POST', '/automations', {
        trigger: { kind: 'event', event },
        workflow: [{ kind: 'image', width: 16, format: 'png' }],
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
    }
    await upload(fx.png, 'pixel.png');
    await t.engine.runUntilIdle();
    const all = await tasks();
    // the upload's file.created started one run; the poster's file.created and task.completed started none
    const runs = all.filter((x) => x.kind === 'workflow');
    expect(runs).toHaveLength(1);
    expect(all.filter((x) => x.created_by === 'mediary')).toHaveLength(1);
  }, 60_000);

  it('MEDIARY_AUTO_POSTER=false makes none', async () => {
    await start(false);
    expect(t.config.events.autoPoster).toBe(false);
    const video = await upload(fx.mp4, 'clip.mp4');
    await upload(fx.png, 'pixel.png');
    expect(await tasks()).toHaveLength(0);
    expect((await media(video.media_id)).urls.poster).toBeUndefined();
  });
});
