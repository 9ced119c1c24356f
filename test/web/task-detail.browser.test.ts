// One task's page (#/tasks/<id>, where webhook deliveries and automation runs link): a finished task's
// output and options, a failed one's error in plain words, and a retry that updates the page live.
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { wav } from '../helpers/delivery.js';
import { startWebTestApp, type WebTestApp } from '../helpers/web.js';

const PASSWORD = 'correct horse battery';

describe('a task page in a browser', () => {
  let w: WebTestApp;
  let page: Page;
  let junk: Server;
  let junkUrl = '';

  beforeAll(async () => {
    w = await startWebTestApp();
    const { token } = await w.t.ctx.accounts.createUser(undefined, 'tasks@example.com', 'owner');
    await w.t.ctx.accounts.accept(token, PASSWORD);
    junk = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'video/mp4' }).end('not a video'),
    );
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r));
    const addr = junk.address();
    junkUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/junk.mp4`;
    ({ page } = await w.newContext());
    await page.goto(`${w.t.origin}/app/#/sign-in`);
    await page.getByLabel('Email').fill('tasks@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('header.topbar').waitFor();
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    await new Promise<void>((r) => (junk ? junk.close(() => r()) : r()));
  });

  it("shows a completed task's output and options", async () => {
    const up = await w.t.send(`/${w.t.projectId}/tone.wav`, { method: 'PUT', auth: true, body: wav(32_000) });
    expect([200, 201]).toContain(up.status);
    const fileId = JSON.parse(up.text).id ?? JSON.parse(up.text).data?.id;
    const created = await w.t.request('/tasks', {
      method: 'POST',
      headers: { 'accept-version': '2025-08-20' },
      body: { kind: 'audio', file_id: fileId, format: 'mp3' },
    });
    expect(created.status, created.text).toBe(201);
    await page.goto(`${w.t.origin}/app/#/tasks/${created.json.id}`);
    await page.locator('[data-testid="task-detail"][data-status="completed"]').waitFor({ timeout: 30_000 });
    const text = (await page.locator('[data-testid="task-detail"]').textContent()) ?? '';
    expect(text).toContain(created.json.id);
    expect(text).toContain('"format": "mp3"');
    expect(text).toContain('audio/mpeg');
    expect(await seriousA11yViolations(page)).toEqual([]);
  }, 60_000);

  it("shows a failed task's error and retries it", async () => {
    const created = await w.t.request('/tasks', {
      method: 'POST',
      headers: { 'accept-version': '2025-08-20' },
      body: { kind: 'video', url: junkUrl },
    });
    expect(created.status).toBe(201);
    await page.goto(`${w.t.origin}/app/#/tasks/${created.json.id}`);
    await page.locator('[data-testid="task-detail"][data-status="failed"]').waitFor({ timeout: 30_000 });
    const error = (await page.locator('[data-testid="task-error"]').textContent()) ?? '';
    expect(error).toMatch(/not a supported video, image or audio file/);
    await page.getByRole('button', { name: 'Retry' }).click();
    // queued again, then failed again for the same reason: the page follows without a reload
    await page
      .locator('[data-testid="task-detail"]:not([data-status="failed"])')
      .waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="task-detail"][data-status="failed"]').waitFor({ timeout: 30_000 });
  }, 60_000);
});
