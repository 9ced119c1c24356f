// A real browser plays a private HLS package through its signed master: Debian's chromium (headless) driven
// by playwright-core, a page of this test's own server using hls.js from node_modules (no CDN), the media on
// the delivery host (another origin, so CORS is exercised). `.ci/run` installs chromium.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryTestApp, startDeliveryTestApp } from '../helpers/delivery.js';
import { type HlsFixture, makePackage } from '../helpers/hls.js';
import { CHROMIUM_LAUNCH } from '../helpers/web.js';
import { makeClip, tempDir } from '../media/helpers.js';

const tmp = tempDir('mediary-hls-browser-');
const hlsJs = readFileSync(join(createRequire(import.meta.url).resolve('hls.js'), '../hls.min.js'), 'utf8');

const PAGE = `<!doctype html>
<html><body>
<video id="v" muted playsinline></video>
<script src="/hls.min.js"></script>
<script>
  const video = document.getElementById('v');
  const state = (window.state = { levels: 0, switched: [], errors: [], supported: Hls.isSupported() });
  const hls = (window.hls = new Hls());
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => {
    state.levels = d.levels.length;
    video.play().catch((err) => state.errors.push('play: ' + err));
  });
  hls.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => state.switched.push(d.level));
  hls.on(Hls.Events.ERROR, (_e, d) => state.errors.push(d.type + ':' + d.details + (d.fatal ? ':fatal' : '')));
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
</script>
</body></html>`;

describe('HLS in a real browser (chromium + hls.js)', () => {
  let t: DeliveryTestApp;
  let fx: HlsFixture;
  let page: Server;
  let pageOrigin: string;
  let browser: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    makeClip(tmp.path('clip.mp4'), { size: '640x360', duration: 10, extra: ['-c:a', 'aac', '-shortest'] });
    t = await startDeliveryTestApp();
    fx = await makePackage(t, tmp.path('clip.mp4'), { folder: 'private', filename: 'clip.m3u8' });
    await t.request('/project/settings', { method: 'PATCH', body: { private_prefixes: ['private'] } });

    page = createServer((req, res) => {
      if (req.url === '/hls.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(hlsJs);
      } else if (req.url?.startsWith('/player')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const addr = page.address();
    pageOrigin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

    profile = mkdtempSync(join(tmpdir(), 'mediary-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      ...CHROMIUM_LAUNCH,
      // the delivery host's certificate is the test's self-signed one
      ignoreHTTPSErrors: true,
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => page?.close(r));
    await t?.request('/project/settings', { method: 'PATCH', body: { private_prefixes: [] } });
    await t?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    tmp.cleanup();
  });

  it('plays the private signed master, lists the levels, and keeps playing after a forced switch', async () => {
    expect((await t.send(fx.file.url)).status).toBe(403);
    const sig = await t.request('/signatures', {
      method: 'POST',
      headers: { 'accept-version': '2025-08-20' },
      body: { folder: 'private', filename: 'clip.m3u8' },
    });
    const tab = await browser.newPage();
    await tab.goto(`${pageOrigin}/player?src=${encodeURIComponent(sig.json.url)}`);
    const state = () =>
      tab.evaluate(() => {
        const w = window as unknown as {
          state: { levels: number; switched: number[]; errors: string[]; supported: boolean };
        };
        const v = document.getElementById('v') as HTMLVideoElement;
        return { ...w.state, time: v.currentTime, paused: v.paused };
      });
    const waitFor = async (ok: (s: Awaited<ReturnType<typeof state>>) => boolean, what: string) => {
      for (let i = 0; i < 300; i++) {
        const s = await state();
        if (ok(s)) return s;
        if (s.errors.some((e) => e.endsWith(':fatal'))) throw new Error(`${what}: ${s.errors.join(', ')}`);
        await tab.waitForTimeout(100);
      }
      throw new Error(`${what}: timed out with ${JSON.stringify(await state())}`);
    };

    const started = await waitFor((s) => s.time > 3, 'playback past 3 s');
    expect(started.supported).toBe(true);
    expect(started.levels).toBeGreaterThanOrEqual(2);

    const target = await tab.evaluate(() => {
      const hls = (window as unknown as { hls: { currentLevel: number; levels: unknown[] } }).hls;
      const next = hls.currentLevel === hls.levels.length - 1 ? 0 : hls.levels.length - 1;
      hls.currentLevel = next;
      return next;
    });
    const after = await waitFor(
      (s) => s.switched.includes(target) && s.time > started.time + 1,
      'playback after a level switch',
    );
    expect(after.paused).toBe(false);
    expect(after.errors.filter((e) => e.endsWith(':fatal'))).toEqual([]);
  }, 120_000);
});
