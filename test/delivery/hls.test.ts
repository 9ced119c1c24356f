// adaptive_video end to end: a task makes an HLS package, the delivery host serves it (content types,
// Cache-Control, Range, CORS), ffprobe plays it over HTTPS, a private package plays through its signed master
// only, deleting the file deletes its parts, and a cancelled task leaves none. On disk and on S3.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partsPrefix } from '../../src/blobs/blob-store.js';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp } from '../helpers/delivery.js';
import { type HlsFixture, makePackage, playlistUris } from '../helpers/hls.js';
import { startS3Server, type TestS3Server } from '../helpers/s3-server.js';
import { makeClip, tempDir } from '../media/helpers.js';

const tmp = tempDir('mediary-hls-delivery-');
let s3: TestS3Server;

beforeAll(async () => {
  makeClip(tmp.path('clip.mp4'), { size: '640x360', duration: 5, extra: ['-c:a', 'aac', '-shortest'] });
  makeClip(tmp.path('long.mp4'), { size: '640x360', duration: 60, audio: false });
  s3 = await startS3Server();
}, 120_000);

afterAll(async () => {
  await s3?.close();
  tmp.cleanup();
});

/** ffprobe in a child process (asynchronously: the delivery host answering it runs in this process). */
async function ffprobeUrl(url: string): Promise<{ duration: number; codecs: string[] }> {
  const { stdout: out } = await promisify(execFile)(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', url],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const json = JSON.parse(out) as { format: { duration: string }; streams: { codec_name: string }[] };
  return { duration: Number(json.format.duration), codecs: json.streams.map((s) => s.codec_name) };
}

for (const storage of ['disk', 's3'] as const) {
  describe(`HLS delivery (${storage})`, () => {
    let t: DeliveryTestApp;
    let fx: HlsFixture;
    const v = { 'accept-version': '2025-08-20' };

    beforeAll(async () => {
      const env: Record<string, string> =
        storage === 's3'
          ? {
              MEDIARY_STORAGE_URL: `s3://${s3.bucket}/hls`,
              MEDIARY_S3_ENDPOINT: s3.endpoint,
              MEDIARY_S3_REGION: s3.region,
              MEDIARY_S3_ACCESS_KEY_ID: s3.accessKeyId,
              MEDIARY_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
            }
          : {};
      // S3 runs on PostgreSQL when the suite has it (CI), so both stores and both databases are covered
      // without encoding the ladder four times
      const db = storage === 's3' && testDatabases().includes('postgres') ? 'postgres' : 'sqlite';
      t = await startDeliveryTestApp({ env, db });
      fx = await makePackage(t, tmp.path('clip.mp4'), {
        ref: 'hls',
        folder: 'streams',
        filename: 'clip.m3u8',
      });
    }, 180_000);

    afterAll(async () => {
      await t?.close();
    });

    it('the output is one File: the master playlist, with the package’s facts and total size', async () => {
      const { file } = fx;
      expect(file).toMatchObject({
        kind: 'video',
        type: 'application/vnd.apple.mpegurl',
        width: 640,
        height: 360,
        ref: 'hls',
        folder: 'streams',
        filename: 'clip.m3u8',
      });
      expect(file.duration).toBeCloseTo(5, 0);
      const keys = await t.ctx.blobs.list(partsPrefix(`${t.projectId}/${file.created_by}-0`));
      let total = (await t.ctx.blobs.stat(`${t.projectId}/${file.created_by}-0`))!.size;
      for (const k of keys) total += (await t.ctx.blobs.stat(k))!.size;
      expect(file.filesize).toBe(total);
      const media = await t.request(`/media/${fx.mediaId}`, { headers: v });
      expect(media.json.urls.hls).toBe(file.url);
      expect(file.url).toBe(`${t.deliveryOrigin}/${t.projectId}/streams/clip.m3u8`);
    });

    it('serves every playlist and segment with its content type, caching, Range and CORS', async () => {
      const master = await t.send(fx.file.url, { headers: { origin: 'https://player.example' } });
      expect(master.status).toBe(200);
      expect(master.headers['content-type']).toMatch(/^application\/vnd\.apple\.mpegurl/);
      expect(master.headers['cache-control']).toBe('public, no-cache');
      expect(master.headers['access-control-allow-origin']).toBe('*');
      const children = playlistUris(master.text);
      expect(children).toEqual([
        `../${fx.file.id}/audio/index.m3u8`,
        `../${fx.file.id}/360p/index.m3u8`,
        `../${fx.file.id}/240p/index.m3u8`,
      ]);
      const base = `${t.deliveryOrigin}/${t.projectId}/streams/`;
      const cuts: string[] = [];
      for (const child of children) {
        const pl = await t.send(new URL(child, base).href);
        expect(pl.status, child).toBe(200);
        expect(pl.headers['content-type']).toMatch(/mpegurl/);
        expect(pl.headers['cache-control']).toBe('public, max-age=60');
        expect(pl.text).toContain('#EXT-X-ENDLIST');
        if (!child.includes('audio'))
          cuts.push(
            pl.text
              .split('\n')
              .filter((l) => l.startsWith('#EXTINF'))
              .join(),
          );
        const dir = new URL(child, base).href.replace(/index\.m3u8$/, '');
        for (const seg of playlistUris(pl.text)) {
          const res = await t.send(dir + seg, { method: 'HEAD' });
          expect(res.status, seg).toBe(200);
          expect(res.headers['content-type']).toBe(seg.endsWith('.m4s') ? 'video/iso.segment' : 'video/mp4');
          expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        }
      }
      // aligned keyframes: the renditions' segment lists are the same
      expect(new Set(cuts).size).toBe(1);
      const seg = `${t.deliveryOrigin}/${t.projectId}/${fx.file.id}/360p/seg_00000.m4s`;
      const whole = await t.send(seg);
      const range = await t.send(seg, { headers: { range: 'bytes=10-109' } });
      expect(range.status).toBe(206);
      expect(range.headers['content-range']).toBe(`bytes 10-109/${whole.body.length}`);
      expect(range.body.equals(whole.body.subarray(10, 110))).toBe(true);
      const missing = await t.send(seg.replace('00000', '09999'));
      expect(missing.status).toBe(404);
    });

    it('ffprobe reads the public master over HTTPS: full duration, H.264 + AAC', async () => {
      const got = await ffprobeUrl(fx.file.url);
      expect(got.duration).toBeGreaterThan(4.5);
      expect(got.codecs).toEqual(expect.arrayContaining(['h264', 'aac']));
    });

    it('a private package plays only through its signed master; every child carries the package signature', async () => {
      const set = await t.request('/project/settings', {
        method: 'PATCH',
        body: { private_prefixes: ['streams'] },
      });
      expect(set.status).toBe(200);
      try {
        expect((await t.send(fx.file.url)).status).toBe(403);
        const byId = `${t.deliveryOrigin}/${t.projectId}/${fx.file.id}/360p/index.m3u8`;
        expect((await t.send(byId)).status).toBe(403);
        const sig = await t.request('/signatures', {
          method: 'POST',
          headers: v,
          body: { folder: 'streams', filename: 'clip.m3u8' },
        });
        expect(sig.status).toBe(200);
        const signedUrl: string = sig.json.url;
        const master = await t.send(signedUrl);
        expect(master.status).toBe(200);
        expect(master.headers['cache-control']).toBe('private, no-cache');
        const children = playlistUris(master.text);
        for (const c of children)
          expect(c).toMatch(new RegExp(`\\?expiry=${sig.json.expiry}&signature=[\\w-]{43}$`));
        const variant = new URL(children[1], signedUrl).href;
        const media = await t.send(variant);
        expect(media.status).toBe(200);
        const segs = playlistUris(media.text);
        for (const s of segs) expect(s).toContain(`expiry=${sig.json.expiry}&signature=`);
        const segUrl = new URL(segs[1], variant).href;
        const seg = await t.send(segUrl);
        expect(seg.status).toBe(200);
        expect(seg.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
        // unsigned, tampered, another file's or expired child URLs are refused
        expect((await t.send(segUrl.split('?')[0])).status).toBe(403);
        expect(
          (await t.send(segUrl.replace(/signature=(.)/, (_m, c) => `signature=${c === 'A' ? 'B' : 'A'}`)))
            .status,
        ).toBe(403);
        expect((await t.send(segUrl.replace(/expiry=\d+/, `expiry=${sig.json.expiry + 1}`))).status).toBe(
          403,
        );
        const past = Math.floor(Date.now() / 1000) - 10;
        expect((await t.send(segUrl.replace(/expiry=\d+/, `expiry=${past}`))).status).toBe(403);
        // the master's own path signature does not open a segment
        const masterQuery = signedUrl.slice(signedUrl.indexOf('?'));
        expect((await t.send(segUrl.split('?')[0] + masterQuery)).status).toBe(403);
        // the API key opens it too, its children signed with that key
        const keyed = await t.send(fx.file.url, { auth: true });
        expect(keyed.status).toBe(200);
        expect(playlistUris(keyed.text)[0]).toMatch(/\?expiry=\d+&signature=/);
        const got = await ffprobeUrl(signedUrl);
        expect(got.duration).toBeGreaterThan(4.5);
        expect(got.codecs).toEqual(expect.arrayContaining(['h264', 'aac']));
      } finally {
        await t.request('/project/settings', { method: 'PATCH', body: { private_prefixes: [] } });
      }
    });

    it('deleting the file deletes its parts', async () => {
      const extra = await makePackage(t, tmp.path('clip.mp4'), { renditions: [{ height: 240 }] });
      const key = `${t.projectId}/${extra.file.created_by}-0`;
      expect((await t.ctx.blobs.list(partsPrefix(key))).length).toBeGreaterThan(3);
      const del = await t.request(`/files/${extra.file.id}`, { method: 'DELETE', headers: v });
      expect(del.status).toBeLessThan(300);
      expect(await t.ctx.blobs.list(partsPrefix(key))).toEqual([]);
      expect(await t.ctx.blobs.stat(key)).toBeNull();
    }, 120_000);

    it('a task cancelled mid-way leaves no parts and no work dir', async () => {
      const { readFileSync } = await import('node:fs');
      const up = await t.send(`/${t.projectId}/src/long.mp4`, {
        method: 'PUT',
        body: readFileSync(tmp.path('long.mp4')),
        auth: true,
        headers: v,
      });
      const created = await t.request('/tasks', {
        method: 'POST',
        headers: v,
        body: { kind: 'adaptive_video', file_id: up.json.id },
      });
      const id = created.json.id;
      const engine = t.ctx.createWorker();
      const done = engine.runUntilIdle();
      for (let i = 0; i < 600; i++) {
        const task = await t.request(`/tasks/${id}`, { headers: v });
        if (task.json.status === 'processing' && task.json.progress > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const cancel = await t.request(`/tasks/${id}/cancel`, { method: 'POST', headers: v });
      expect(cancel.json.status).toBe('cancelled');
      await done;
      expect(await t.ctx.blobs.list(partsPrefix(`${t.projectId}/${id}-0`))).toEqual([]);
      const tmpDir = join(t.dataDir, 'tmp');
      const left = existsSync(tmpDir) ? readdirSync(tmpDir).filter((n) => n.startsWith(id)) : [];
      expect(left).toEqual([]);
    }, 120_000);
  });
}
