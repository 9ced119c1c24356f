// The media pages in a real browser (headless chromium): upload a clip through the drop zone's file input
// (tus against a signed URL), see its progress and its automatic poster, play it, run a video task from the
// generated form and see it complete live, a hostile filename shown as text, and a failed task's error on the
// tasks page. One signed-in page walks through it all.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { APIRequestContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { playPast, startWebTestApp, until, type WebTestApp } from '../helpers/web.js';
import { makeClip, tempDir } from '../media/helpers.js';

const tmp = tempDir('mediary-web-media-');

const EVIL = '<img src=x onerror=alert(1)>';

describe('media pages in a browser', () => {
  let w: WebTestApp;
  let page: Page;
  let junk: Server;
  let junkUrl: string;
  const dialogs: string[] = [];

  /** The session's project is the test key's (the org may hold more than one project). */
  async function selectProject(request: APIRequestContext, session: { csrf_token: string }): Promise<void> {
    const r = await request.patch(`${w.t.origin}/auth/session`, {
      data: { project_id: w.t.projectId },
      headers: { origin: w.t.origin, 'x-csrf-token': session.csrf_token },
    });
    expect(r.status(), await r.text()).toBe(200);
  }
  const pageErrors: string[] = [];

  beforeAll(async () => {
    makeClip(tmp.path('clip.mp4'), { size: '320x180', duration: 4 });
    w = await startWebTestApp();
    const { user, token } = await w.t.ctx.accounts.createUser(undefined, 'media@example.com', 'owner');
    expect(user.id).toMatch(/^usr_/);
    const { context, page: p } = await w.newContext();
    page = p;
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const res = await context.request.post(`${w.t.origin}/auth/accept`, {
      data: { token, password: 'a long enough password' },
      headers: { origin: w.t.origin },
    });
    expect(res.status()).toBe(200);
    await selectProject(context.request, (await res.json()).data ?? (await res.json()));

    // a URL that answers with something that is no media: a task on it fails for good
    junk = createServer((req, res) => {
      const body = req.url === '/ingest.mp4' ? readFileSync(tmp.path('clip.mp4')) : 'not a video';
      res.writeHead(200, { 'content-type': 'video/mp4' }).end(body);
    });
    await new Promise<void>((resolve) => junk.listen(0, '127.0.0.1', resolve));
    const addr = junk.address();
    junkUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/junk.mp4`;
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    await new Promise<void>((resolve) => (junk ? junk.close(() => resolve()) : resolve()));
    tmp.cleanup();
  });

  it('uploads a clip with a progress bar; the card and its automatic poster appear without a reload', async () => {
    await page.goto(`${w.t.origin}/app/#/media`);
    await page.getByText('No media yet', { exact: false }).waitFor({ timeout: 20_000 });
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 1;
    });
    await page.locator('[data-testid="upload-input"]').setInputFiles(tmp.path('clip.mp4'));
    const row = page.locator('[data-testid="upload-row"]').filter({ hasText: 'clip.mp4' });
    await row.waitFor({ timeout: 10_000 });
    await expect(row.getByRole('progressbar', { name: 'clip.mp4' }).count()).resolves.toBe(1);
    await page
      .locator('[data-testid="upload-row"][data-status="done"]')
      .filter({ hasText: 'clip.mp4' })
      .waitFor({ timeout: 20_000 })
      .catch(async (err) => {
        throw new Error(`the upload did not finish: ${await row.textContent()} (${err})`);
      });
    // resumable tus through the signed URL, not the PUT fallback; the bar ends full
    expect(await row.getAttribute('data-via')).toBe('tus');
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const card = page.locator('[data-testid="media-card"]').filter({ hasText: 'clip.mp4' });
    await card.waitFor({ timeout: 10_000 });
    // the poster task runs on the worker; its task.completed refreshes the card
    const poster = card.locator('[data-poster="yes"] img');
    await poster.waitFor({ timeout: 30_000 });
    await until(page, () => {
      const img = document.querySelector(
        '[data-testid="media-card"] [data-poster="yes"] img',
      ) as HTMLImageElement;
      return img.complete && img.naturalWidth > 0;
    });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  }, 60_000);

  it('opens the media and plays it', async () => {
    await page.locator('[data-testid="media-card"]').filter({ hasText: 'clip.mp4' }).click();
    const video = page.locator('[data-testid="video"]');
    await video.waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="file-item"]').first().waitFor();
    await playPast(page, 0.5, 15_000);
  }, 30_000);

  it('runs a video task from the form and sees it complete live', async () => {
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 2;
    });
    await page.locator('[data-testid="task-kind"]').selectOption('video');
    const speed = page.locator('[data-testid="task-form"] select[name="speed"]');
    if (await speed.count()) {
      const values = await speed
        .locator('option')
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      if (values.includes('fastest')) await speed.selectOption('fastest');
    }
    await page.locator('[data-testid="task-submit"]').click();
    const tasks = page
      .locator('[data-testid="media-tasks"] [data-testid="task-row"]')
      .filter({ hasText: 'video' });
    await tasks.first().waitFor({ timeout: 10_000 });
    await page
      .locator('[data-testid="media-tasks"] [data-testid="task-row"][data-status="completed"]')
      .filter({ hasText: /^video/ })
      .first()
      .waitFor({ timeout: 40_000 });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(2);
  }, 60_000);

  it('shows a hostile filename as text and runs none of it', async () => {
    await page.goto(`${w.t.origin}/app/#/media`);
    await page.locator('[data-testid="upload-input"]').waitFor({ state: 'attached' });
    await page.locator('[data-testid="upload-input"]').setInputFiles({
      name: `${EVIL}.mp4`,
      mimeType: 'video/mp4',
      buffer: readFileSync(tmp.path('clip.mp4')),
    });
    const row = page.locator('[data-testid="upload-row"]').filter({ hasText: EVIL });
    await row.waitFor({ timeout: 10_000 });
    // the server makes the stored filename safe for a path; a title keeps any text, so it carries the payload
    const card = page.locator('[data-testid="media-card"]').filter({ hasText: 'onerror' });
    await card.waitFor({ timeout: 20_000 });
    await card.click();
    await page.locator('[data-testid="media-detail"]').waitFor();
    await page.locator('[data-testid="media-title"]').fill(EVIL);
    await page.locator('[data-testid="media-save"]').click();
    await until(page, () => document.querySelector('h1')?.textContent === '<img src=x onerror=alert(1)>');
    await page.goto(`${w.t.origin}/app/#/media`);
    const titled = page.locator('[data-testid="media-card"] .media-name').filter({ hasText: EVIL });
    await titled.waitFor({ timeout: 10_000 });
    expect(await titled.textContent()).toBe(EVIL);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  }, 40_000);

  it('lists a failed task with its error in plain words', async () => {
    const created = await w.t.request('/tasks', { method: 'POST', body: { kind: 'video', url: junkUrl } });
    expect(created.status).toBe(201);
    await page.goto(`${w.t.origin}/app/#/tasks`);
    const failed = page.locator('[data-testid="task-row"][data-status="failed"]');
    await failed.first().waitFor({ timeout: 30_000 });
    const text = (await failed.first().locator('[data-testid="task-error"]').textContent()) ?? '';
    expect(text.length).toBeGreaterThan(5);
    await page.locator('[data-testid="tasks-status"]').selectOption('failed');
    await until(page, () => location.hash.includes('status=failed'));
    await failed.first().waitFor();
    expect(await page.locator('[data-testid="task-row"]:not([data-status="failed"])').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 45_000);
  it('fits 360 px and has no serious accessibility violations (library, player, tasks)', async () => {
    const { context, page: small } = await w.newContext({ width: 360, height: 740 });
    const res = await context.request.post(`${w.t.origin}/auth/sign-in`, {
      data: { email: 'media@example.com', password: 'a long enough password' },
      headers: { origin: w.t.origin },
    });
    expect(res.status()).toBe(200);
    await selectProject(context.request, (await res.json()).data ?? (await res.json()));
    await small.goto(`${w.t.origin}/app/#/media`);
    const card = small.locator('[data-testid="media-card"]').first();
    await card.waitFor({ timeout: 20_000 });
    const id = await card.getAttribute('data-id');
    const pages = ['#/media', `#/media/${id}`, '#/tasks'];
    for (const hash of pages) {
      await small.goto(`${w.t.origin}/app/${hash}`);
      await small
        .locator(
          hash === '#/tasks'
            ? '[data-testid="task-row"]'
            : '[data-testid="media-card"], [data-testid="video"]',
        )
        .first()
        .waitFor({ timeout: 10_000 });
      const [width, room] = await small.evaluate(() => [
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
      ]);
      expect(width, `${hash} is ${width} px wide in ${room} px`).toBeLessThanOrEqual(room);
      expect(await seriousA11yViolations(small), hash).toEqual([]);
    }
  }, 60_000);
  it('filters by kind and search (kept in the hash across a reload) and loads more pages', async () => {
    for (let i = 0; i < 25; i++) {
      const r = await w.t.request('/media', { method: 'POST', body: { title: `bulk ${i}` } });
      expect(r.status).toBe(201);
    }
    await page.goto(`${w.t.origin}/app/#/media`);
    const cards = page.locator('[data-testid="media-card"]');
    await cards.first().waitFor({ timeout: 10_000 });
    await until(page, () => document.querySelectorAll('[data-testid="media-card"]').length === 24);
    await page.locator('[data-testid="media-more"]').click();
    await until(page, () => document.querySelectorAll('[data-testid="media-card"]').length === 27);
    expect(await page.locator('[data-testid="media-more"]').count()).toBe(0);

    await page.locator('[data-testid="media-kind"]').selectOption('video');
    await until(page, () => location.hash.includes('kind=video'));
    await until(page, () => document.querySelectorAll('[data-testid="media-card"]').length === 2);
    await page.locator('[data-testid="media-search"]').fill('clip');
    await until(page, () => location.hash.includes('q=clip'));
    await until(page, () => document.querySelectorAll('[data-testid="media-card"]').length === 1);
    await page.reload();
    await cards.first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="media-search"]').inputValue()).toBe('clip');
    expect(await page.locator('[data-testid="media-kind"]').inputValue()).toBe('video');
    expect(await cards.count()).toBe(1);
    expect(await cards.first().textContent()).toContain('clip.mp4');
  }, 40_000);
  it('plays an adaptive_video package with hls.js and previews thumbnails on hover', async () => {
    const list = await w.t.request('/media?limit=100', { headers: { 'accept-version': '2025-07-01' } });
    const clip = (
      list.json.data as {
        id: string;
        title?: string;
        files: { id: string; original?: boolean; filename?: string }[];
      }[]
    ).find((m) => m.files.some((f) => f.original && f.filename === 'clip.mp4'));
    if (!clip) throw new Error('the uploaded clip is not listed');
    const input = clip.files.find((f) => f.original)?.id;
    const ids: string[] = [];
    for (const body of [
      {
        kind: 'adaptive_video',
        file_id: input,
        options: { renditions: [{ height: 180 }], speed: 'fastest' },
      },
      { kind: 'thumbnails', file_id: input, options: { interval: 1 } },
    ]) {
      const r = await w.t.request('/tasks', {
        method: 'POST',
        body,
        headers: { 'accept-version': '2025-07-01' },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      ids.push((r.json.data as { id: string }).id);
    }
    await page.goto(`${w.t.origin}/app/#/media/${clip.id}`);
    for (const id of ids) {
      await page.locator(`[data-task-id="${id}"][data-status="completed"]`).waitFor({ timeout: 40_000 });
    }
    // the media reloads when its tasks complete: the player switches to the HLS master
    const video = page.locator('[data-testid="video"][data-source="hls"]');
    await video.waitFor({ timeout: 10_000 });
    await playPast(page, 0.5, 15_000);
    await page.locator('.scrub-bar').hover({ position: { x: 20, y: 5 } });
    await page.locator('[data-testid="scrub-preview"]').waitFor({ timeout: 5_000 });
  }, 70_000);
  it('ingests a URL from the form; the new media appears first', async () => {
    await page.goto(`${w.t.origin}/app/#/media`);
    await page.locator('[data-testid="ingest-url"]').fill(junkUrl.replace('/junk.mp4', '/ingest.mp4'));
    await page.locator('[data-testid="ingest-submit"]').click();
    await page
      .locator('[data-testid="media-card"]')
      .first()
      .filter({ hasText: 'ingest.mp4' })
      .waitFor({ timeout: 20_000 });
  }, 30_000);
});
