// Files and media over real HTTPS: URL ingest with real ffprobe/sharp, and every way ingest can go wrong.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';
import { type Fixtures, type MediaServer, makeFixtures, startMediaServer } from '../helpers/fixtures.js';

async function blobCount(t: TestApp): Promise<number> {
  const root = join(t.dataDir, 'blobs');
  let n = 0;
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.name === '.tmp') continue;
      if (e.isDirectory()) await walk(join(dir, e.name));
      else n++;
    }
  };
  await walk(root);
  return n;
}

async function tmpFiles(t: TestApp): Promise<string[]> {
  return readdir(join(t.dataDir, 'tmp')).catch(() => []);
}

let fx: Fixtures;
let server: MediaServer;
beforeAll(async () => {
  fx = await makeFixtures();
  server = await startMediaServer({
    'clip.mp4': fx.mp4,
    'pixel.png': fx.png,
    'tone.mp3': fx.mp3,
    'truncated.mp4': fx.truncatedMp4,
    'random.mp4': fx.randomBin,
    'notes.txt': fx.text,
    'empty.mp4': fx.empty,
  });
});
afterAll(async () => {
  await server.close();
});

describe.each(testDatabases())('files and media (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      db,
      env: { MEDIARY_INGEST_IDLE_MS: '300', MEDIARY_MAX_INGEST_BYTES: String(2 * 1024 * 1024) },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('ingests a video by URL: probes every field, creates the media with ref original', async () => {
    const res = await t.request('/files', {
      method: 'POST',
      body: { url: `${server.url}/clip.mp4`, folder: 'samples/in', metadata: { user: 'u1' } },
    });
    expect(res.status).toBe(201);
    const f = res.json.data;
    expect(f).toMatchObject({
      object: 'source',
      kind: 'video',
      codec: 'h264',
      container: 'mp4',
      width: 320,
      height: 180,
      orientation: 'landscape',
      rotation: 0,
      ref: 'original',
      original: true,
      folder: 'samples/in',
      filename: 'clip.mp4',
      status: 'ready',
      metadata: { user: 'u1' },
    });
    expect(f.id).toMatch(/^file_[A-Za-z0-9]{16}$/);
    expect(f.type).toMatch(/^video\/mp4/);
    expect(f.type).toContain('avc1');
    expect(f.duration).toBeGreaterThan(1.9);
    expect(f.duration).toBeLessThan(2.2);
    expect(f.fps).toBeCloseTo(25, 0);
    expect(f.frames).toBeGreaterThanOrEqual(48);
    expect(f.bitrate).toBeGreaterThan(0);
    expect(f.filesize).toBeGreaterThan(1000);
    expect(f.url).toBe(
      `https://cdn.test.local/${t.ctx.repos ? f.url.split('/')[3] : ''}/samples/in/clip.mp4`,
    );
    expect(f.url.split('/')[3]).toMatch(/^prj_/);

    const media = await t.request(`/media/${f.media_id}`);
    expect(media.json.data).toMatchObject({ kind: 'video', width: 320, height: 180 });
    expect(media.json.data.duration).toBeCloseTo(f.duration, 3);
    expect(media.json.data.files).toHaveLength(1);
    expect(media.json.data.files[0].id).toBe(f.id);
    expect(media.json.data.files[0].media_id).toBeUndefined();
    expect(media.json.data.urls).toEqual({ original: f.url });

    const got = await t.request(`/files/${f.id}`, { headers: { 'accept-version': '2025-08-20' } });
    expect(got.json.id).toBe(f.id);
  });

  it('ingests an image (sharp facts) and audio into an existing media', async () => {
    const m = await t.request('/media', { method: 'POST', body: { title: 'mixed' } });
    const mediaId = m.json.data.id;
    const png = await t.request('/files', {
      method: 'POST',
      body: { url: `${server.url}/pixel.png`, media_id: mediaId, ref: 'poster' },
    });
    expect(png.status).toBe(201);
    expect(png.json.data).toMatchObject({
      kind: 'image',
      type: 'image/png',
      width: 64,
      height: 48,
      transparency: true,
      ref: 'poster',
      original: false,
    });
    const mp3 = await t.request('/files', {
      method: 'POST',
      body: { url: `${server.url}/tone.mp3`, media_id: mediaId },
    });
    expect(mp3.status).toBe(201);
    expect(mp3.json.data).toMatchObject({ kind: 'audio', type: 'audio/mpeg', codec: 'mp3' });
    expect(mp3.json.data.duration).toBeGreaterThan(0.9);
    const media = await t.request(`/media/${mediaId}`);
    expect(media.json.data.files).toHaveLength(2);
    expect(Object.keys(media.json.data.urls)).toEqual(['poster']);
    expect(media.json.data.updated >= m.json.data.updated).toBe(true);
  });

  it('PATCH changes folder, filename, ref and merges metadata; the URL follows', async () => {
    const f = (
      await t.request('/files', {
        method: 'POST',
        body: { url: `${server.url}/pixel.png`, metadata: { a: 1, b: 2 } },
      })
    ).json.data;
    const res = await t.request(`/files/${f.id}`, {
      method: 'PATCH',
      body: {
        folder: 'updated/folder',
        filename: 'new_filename.png',
        metadata: { b: null, c: 'x' },
        ref: 'thumb',
      },
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({
      folder: 'updated/folder',
      filename: 'new_filename.png',
      ref: 'thumb',
      metadata: { a: 1, c: 'x' },
    });
    expect(res.json.data.url).toMatch(/\/updated\/folder\/new_filename\.png$/);
    expect(res.json.data.updated >= f.updated).toBe(true);
    const media = await t.request(`/media/${f.media_id}`);
    expect(media.json.data.urls.thumb).toBe(res.json.data.url);
  });

  it('sanitises hostile folder and filename values into the project space', async () => {
    const res = await t.request('/files', {
      method: 'POST',
      body: {
        url: `${server.url}/pixel.png`,
        // (a NUL is refused outright: test/review/text-storable.test.ts)
        folder: '../../etc/\\evil/./x\ty',
        filename: '..\u202Egnp.exe',
      },
    });
    expect(res.status).toBe(201);
    const { folder, filename, url } = res.json.data;
    expect(folder).toBe('__/__/etc/_evil/_/x_y');
    expect(filename).toBe('.._gnp.exe');
    expect(new URL(url).pathname.split('/')).not.toContain('..');
  });

  it('DELETE of a file removes it from its media and deletes its bytes; DELETE of a media cascades', async () => {
    const before = await blobCount(t);
    const a = (await t.request('/files', { method: 'POST', body: { url: `${server.url}/pixel.png` } })).json
      .data;
    const b = (
      await t.request('/files', {
        method: 'POST',
        body: { url: `${server.url}/tone.mp3`, media_id: a.media_id },
      })
    ).json.data;
    expect(await blobCount(t)).toBe(before + 2);
    const del = await t.request(`/files/${b.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.json.data).toEqual({ message: `${b.id} deleted` });
    expect((await t.request(`/files/${b.id}`)).status).toBe(404);
    const media = await t.request(`/media/${a.media_id}`);
    expect(media.json.data.files.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect(await blobCount(t)).toBe(before + 1);
    const delMedia = await t.request(`/media/${a.media_id}`, {
      method: 'DELETE',
      headers: { 'accept-version': 'latest' },
    });
    expect(delMedia.json).toEqual({ message: `${a.media_id} deleted` });
    expect((await t.request(`/files/${a.id}`)).status).toBe(404);
    expect(await blobCount(t)).toBe(before);
  });

  it('PATCH and DELETE media', async () => {
    const m = (await t.request('/media', { method: 'POST', body: { title: 't', metadata: { k: 'v' } } })).json
      .data;
    const res = await t.request(`/media/${m.id}`, {
      method: 'PATCH',
      body: { alt: 'alt text', metadata: { k: null, n: 2 } },
    });
    expect(res.json.data).toMatchObject({
      title: 't',
      alt: 'alt text',
      metadata: { n: 2 },
      kind: null,
      files: [],
      urls: {},
    });
  });

  describe('bad ingest input leaves nothing behind', () => {
    const cases: [string, () => string, number, RegExp][] = [
      ['unreachable', () => 'http://127.0.0.1:1/x.mp4', 400, /reach|connect|refused/i],
      ['slow', () => `${server.url}/slow`, 400, /time|no data/i],
      ['huge', () => `${server.url}/huge`, 413, /large|limit|bytes/i],
      ['not media', () => `${server.url}/notes.txt`, 400, /not a supported/i],
      [
        'random bytes named .mp4',
        () => `${server.url}/random.mp4`,
        400,
        /not a supported|corrupt|unsupported/i,
      ],
      ['zero bytes', () => `${server.url}/empty.mp4`, 400, /empty|not a supported|no bytes/i],
      ['truncated mp4', () => `${server.url}/truncated.mp4`, 400, /corrupt|truncated|invalid|could not/i],
      ['a 404', () => `${server.url}/missing.mp4`, 400, /404/],
      ['not a URL', () => 'not a url', 400, /url/i],
      ['file scheme', () => 'file:///etc/passwd', 400, /url|http/i],
    ];
    it.each(cases)('%s → clear 4xx', async (_name, url, status, message) => {
      const files = await t.request('/files?limit=100', { headers: { 'accept-version': 'latest' } });
      const media = await t.request('/media?limit=100', { headers: { 'accept-version': 'latest' } });
      const blobs = await blobCount(t);
      const res = await t.request('/files', { method: 'POST', body: { url: url() } });
      expect(res.status).toBe(status);
      expect(res.json.error.message).toMatch(message);
      const filesAfter = await t.request('/files?limit=100', { headers: { 'accept-version': 'latest' } });
      const mediaAfter = await t.request('/media?limit=100', { headers: { 'accept-version': 'latest' } });
      expect(filesAfter.json.length).toBe(files.json.length);
      expect(mediaAfter.json.length).toBe(media.json.length);
      expect(await blobCount(t)).toBe(blobs);
      expect(await tmpFiles(t)).toEqual([]);
    });

    it('an unknown media_id → 404 before anything is fetched', async () => {
      const res = await t.request('/files', {
        method: 'POST',
        body: { url: `${server.url}/clip.mp4`, media_id: 'med_0000000000000000' },
      });
      expect(res.status).toBe(404);
    });

    it('a missing url → 400 naming it', async () => {
      const res = await t.request('/files', { method: 'POST', body: { folder: 'x' } });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain('url');
    });
  });
});

describe('SSRF: private addresses are refused unless allowed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MEDIARY_ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['loopback', () => `${server.url}/clip.mp4`],
    ['localhost name', () => `${server.url.replace('127.0.0.1', 'localhost')}/clip.mp4`],
    ['metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['private range', () => 'http://10.0.0.1/x.mp4'],
    ['IPv6 loopback', () => 'http://[::1]/x.mp4'],
    ['decimal loopback', () => 'http://2130706433/x.mp4'],
  ])('%s → 400 url_forbidden and no request made', async (_n, url) => {
    const res = await t.request('/files', { method: 'POST', body: { url: url() } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('url_forbidden');
  });
});
