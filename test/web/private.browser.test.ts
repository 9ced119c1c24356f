// Private files in the dashboard (headless chromium): in a private project every plain delivery URL answers
// 403, so the grid's poster, the player, its HLS package and thumbnails sprite, and the file links must use
// signed GET URLs that the session asks for (POST /signatures). A private folder in a public project too.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playPast, startWebTestApp, until, type WebTestApp } from '../helpers/web.js';
import { makeClip, tempDir } from '../media/helpers.js';

const tmp = tempDir('mediary-web-private-');

interface WireMedia {
  id: string;
  urls: Record<string, string>;
  files: { id: string; original?: boolean; filename?: string; url: string; folder?: string }[];
}

describe('private files in the dashboard', () => {
  let w: WebTestApp;
  let page: Page;
  const pageErrors: string[] = [];
  const envelope = { 'accept-version': '2025-07-01' };

  async function settings(body: Record<string, unknown>): Promise<void> {
    const r = await w.t.request('/project/settings', { method: 'PATCH', body, headers: envelope });
    expect(r.status, r.text).toBe(200);
  }

  async function mediaNamed(filename: string): Promise<WireMedia> {
    const list = await w.t.request('/media?limit=100', { headers: envelope });
    const m = (list.json.data as WireMedia[]).find((x) =>
      x.files.some((f) => f.original && f.filename === filename),
    );
    if (!m) throw new Error(`${filename} is not listed`);
    return m;
  }

  /** Uploads through the drop zone's file input and waits for the card's poster to load. */
  async function upload(name: string, folder = ''): Promise<void> {
    if (!page.url().endsWith('#/media')) await page.goto(`${w.t.origin}/app/#/media`);
    await page
      .locator('[data-testid="upload-input"]')
      .waitFor({ state: 'attached', timeout: 20_000 })
      .catch(async (err) => {
        throw new Error(
          `no upload input at ${page.url()}: ${(await page.textContent('body'))?.slice(0, 300)} (${err})`,
        );
      });
    await page.getByLabel('Upload to folder').fill(folder);
    await page.locator('[data-testid="upload-input"]').setInputFiles({
      name,
      mimeType: 'video/mp4',
      buffer: readFileSync(tmp.path('clip.mp4')),
    });
    await page
      .locator('[data-testid="upload-row"][data-status="done"]')
      .filter({ hasText: name })
      .waitFor({ timeout: 30_000 });
  }

  beforeAll(async () => {
    makeClip(tmp.path('clip.mp4'), { size: '320x180', duration: 4 });
    w = await startWebTestApp();
    const { token } = await w.t.ctx.accounts.createUser(undefined, 'private@example.com', 'owner');
    const { context, page: p } = await w.newContext();
    page = p;
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const res = await context.request.post(`${w.t.origin}/auth/accept`, {
      data: { token, password: 'a long enough password' },
      headers: { origin: w.t.origin },
    });
    expect(res.status()).toBe(200);
    const session = (await res.json()).data ?? (await res.json());
    const r = await context.request.patch(`${w.t.origin}/auth/session`, {
      data: { project_id: w.t.projectId },
      headers: { origin: w.t.origin, 'x-csrf-token': session.csrf_token },
    });
    expect(r.status(), await r.text()).toBe(200);
    await settings({ access: 'private' });
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    tmp.cleanup();
  });

  it('shows the poster of a video in a private project by a signed URL', async () => {
    await upload('secret.mp4');
    const card = page.locator('[data-testid="media-card"]').filter({ hasText: 'secret.mp4' });
    await card.locator('[data-poster="yes"] img').waitFor({ timeout: 30_000 });
    await until(page, () => {
      const img = document.querySelector(
        '[data-testid="media-card"] [data-poster="yes"] img',
      ) as HTMLImageElement | null;
      return Boolean(img?.complete && img.naturalWidth > 0);
    });
    const src = (await card.locator('[data-poster="yes"] img').getAttribute('src')) ?? '';
    expect(src).toMatch(/[?&]expiry=\d+/);
    expect(src).toContain('signature=');
    // the plain URL is refused: the signature is what made the picture load
    const m = await mediaNamed('secret.mp4');
    expect((await w.t.send(m.urls.poster)).status).toBe(403);
    expect((await w.t.send(src)).status).toBe(200);
  }, 60_000);

  it('plays the private video and links its files signed', async () => {
    await page.locator('[data-testid="media-card"]').filter({ hasText: 'secret.mp4' }).click();
    const video = page.locator('[data-testid="video"]');
    await video.waitFor({ timeout: 10_000 });
    await until(page, () =>
      Boolean((document.querySelector('[data-testid="video"]') as HTMLVideoElement | null)?.src),
    );
    expect(await video.getAttribute('src')).toContain('signature=');
    await playPast(page, 0.5, 15_000);
    expect(await video.getAttribute('poster')).toContain('signature=');
    const link = page.locator('[data-testid="file-item"] [data-testid="file-link"]').first();
    await until(page, () =>
      Boolean(
        document
          .querySelector('[data-testid="file-item"] [data-testid="file-link"]')
          ?.getAttribute('href')
          ?.includes('signature='),
      ),
    );
    expect((await w.t.send((await link.getAttribute('href')) ?? '')).status).toBe(200);
  }, 40_000);

  it('plays a private HLS package from its signed master and previews the private sprite', async () => {
    const m = await mediaNamed('secret.mp4');
    const input = m.files.find((f) => f.original)?.id;
    const ids: string[] = [];
    for (const body of [
      {
        kind: 'adaptive_video',
        file_id: input,
        options: { renditions: [{ height: 180 }], speed: 'fastest' },
      },
      { kind: 'thumbnails', file_id: input, options: { interval: 1 } },
    ]) {
      const r = await w.t.request('/tasks', { method: 'POST', body, headers: envelope });
      expect(r.status, r.text).toBe(201);
      ids.push(r.json.data.id);
    }
    await page.goto(`${w.t.origin}/app/#/media/${m.id}`);
    for (const id of ids) {
      await page.locator(`[data-task-id="${id}"][data-status="completed"]`).waitFor({ timeout: 45_000 });
    }
    const video = page.locator('[data-testid="video"][data-source="hls"]');
    await video.waitFor({ timeout: 10_000 });
    await playPast(page, 0.5, 20_000);
    await page.locator('.scrub-bar').hover({ position: { x: 20, y: 5 } });
    const preview = page.locator('[data-testid="scrub-preview"]');
    await preview.waitFor({ timeout: 5_000 });
    const bg = await preview.evaluate((el) => (el as HTMLElement).style.backgroundImage);
    expect(bg).toContain('signature=');
    const sprite = /url\("(.*)"\)/.exec(bg)?.[1] ?? '';
    expect((await w.t.send(sprite)).status).toBe(200);
  }, 90_000);

  it('signs only what a private folder holds in a public project', async () => {
    await settings({ access: 'public', private_prefixes: ['vault'] });
    // the dashboard keeps the settings it read for a while; a page load reads them afresh
    await page.goto(`${w.t.origin}/app/?fresh#/media`);
    await upload('vaulted.mp4', 'vault');
    await upload('open.mp4');
    for (const name of ['vaulted.mp4', 'open.mp4']) {
      const card = page.locator('[data-testid="media-card"]').filter({ hasText: name });
      await card.locator('[data-poster="yes"] img').waitFor({ timeout: 30_000 });
    }
    const vaulted = await mediaNamed('vaulted.mp4');
    const open = await mediaNamed('open.mp4');
    const plain = (m: WireMedia) => m.files.find((f) => f.original)?.url ?? '';
    expect((await w.t.send(plain(vaulted))).status).toBe(403);
    expect((await w.t.send(plain(open))).status).toBe(200);

    const videoSrc = async (m: WireMedia, name: string): Promise<string> => {
      // a full page load (the query differs), so no <video> of the media before lingers with its old source
      await page.goto(`${w.t.origin}/app/?media=${m.id}#/media/${m.id}`);
      await page.locator('[data-testid="video"]').waitFor({ timeout: 10_000 });
      // this media's source (signed or not) is in place before it is played
      for (let i = 0; ; i++) {
        const src = (await page.locator('[data-testid="video"]').getAttribute('src')) ?? '';
        if (src.includes(name)) break;
        if (i > 150) throw new Error(`the player never got ${name}: src is "${src}"`);
        await page.waitForTimeout(100);
      }
      await playPast(page, 0.3, 15_000);
      return (await page.locator('[data-testid="video"]').getAttribute('src')) ?? '';
    };
    expect(await videoSrc(vaulted, 'vaulted.mp4')).toContain('signature=');
    expect(await videoSrc(open, 'open.mp4')).toBe(plain(open));
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
