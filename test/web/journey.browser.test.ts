// The "done when", end to end: `mediary start` on a fresh data dir prints a sign-in link; a new user
// opens it in a real browser (headless chromium), sets a password, uploads a video, watches it get a poster
// and play, creates an API key, uses it the way the ittybit Node SDK does, signs out, and signs in again.
// Nothing here uses a test-only door: the link is the one printed on stdout.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { freePort } from '../helpers/delivery.js';
import { launchChromium, playPast } from '../helpers/web.js';
import { makeClip, tempDir } from '../media/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = tempDir('mediary-journey-');
const PASSWORD = 'correct horse battery staple';

/** A request the way @ittybit/sdk 0.8.7 sends it (test/sdk/node-sdk-0.8.7.test.ts has the sources). */
function sdkGet(
  url: string,
  key: string,
  ca: string | undefined,
): Promise<{ status: number; json: unknown }> {
  return new Promise((done, fail) => {
    const req = https.get(
      url,
      {
        rejectUnauthorized: false,
        ca,
        headers: {
          authorization: `Bearer ${key}`,
          'x-fern-language': 'JavaScript',
          'x-fern-sdk-name': '@ittybit/sdk',
          'x-fern-sdk-version': '0.8.7',
          'user-agent': '@ittybit/sdk/0.8.7',
          accept: '*/*',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          done({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null });
        });
      },
    );
    req.on('error', fail);
  });
}

describe('a new user, from `npm start` to an SDK call, in a real browser', () => {
  let server: ChildProcess;
  let stdout = '';
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let origin: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    makeClip(tmp.path('holiday.mp4'), { size: '320x180', duration: 4 });
    // ports found free can be taken before mediary binds them: a start that dies before "ready" is tried
    // again from scratch (a new data dir too, so the first-start link is printed again)
    for (let attempt = 1; ; attempt++) {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      dataDir = mkdtempSync(join(tmpdir(), 'mediary-journey-data-'));
      stdout = '';
      const port = await freePort();
      const deliveryPort = await freePort();
      origin = `https://localhost:${port}`;
      const child = spawn(process.execPath, ['bin/mediary.js', 'start'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TMPDIR: process.env.TMPDIR,
          MEDIARY_DATA_DIR: dataDir,
          MEDIARY_HOST: '127.0.0.1',
          MEDIARY_PORT: String(port),
          MEDIARY_DELIVERY_PORT: String(deliveryPort),
          MEDIARY_WORKER_CONCURRENCY: '2',
          MEDIARY_LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      server = child;
      child.stdout?.on('data', (c) => {
        stdout += c.toString();
      });
      const end = Date.now() + 60_000;
      while (!stdout.includes('mediary ready') && child.exitCode === null && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (stdout.includes('mediary ready')) break;
      if (child.exitCode === null) child.kill('SIGKILL');
      if (attempt >= 3) throw new Error(`mediary did not start:\n${stdout}`);
    }
    browser = await launchChromium();
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 860 },
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    tmp.cleanup();
  });

  it('opens the printed sign-in link and sets a password', async () => {
    const link = /https:\/\/\S+\/app\/#\/accept\/[A-Za-z0-9_-]{20,}/.exec(stdout)?.[0];
    expect(link, stdout).toBeDefined();
    expect(link?.startsWith(`${origin}/app/`)).toBe(true);
    // the first API key is printed too, as before
    expect(stdout).toMatch(/mediary_[A-Za-z0-9]{48}/);
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Set your password' }).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat it').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByRole('heading', { name: 'Media', exact: true }).waitFor();
    // the spent token is gone from the address bar
    expect(page.url()).not.toContain('accept');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'mediary_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.secure).toBe(true);
    expect(session?.sameSite).toBe('Lax');
    // the project in use is always in sight
    expect(await page.locator('.env-badge').textContent()).toBe('development');
  }, 60_000);

  it('uploads a video, sees its poster appear and plays it', async () => {
    await page.locator('[data-testid="upload-input"]').setInputFiles(tmp.path('holiday.mp4'));
    await page
      .locator('[data-testid="upload-row"][data-status="done"]')
      .filter({ hasText: 'holiday.mp4' })
      .waitFor({ timeout: 30_000 })
      .catch(async (err) => {
        const row = page.locator('[data-testid="upload-row"]').filter({ hasText: 'holiday.mp4' });
        throw new Error(`the upload did not finish: ${await row.textContent()} ${pageErrors} (${err})`);
      });
    const card = page.locator('[data-testid="media-card"]').filter({ hasText: 'holiday.mp4' });
    await card.locator('[data-poster="yes"] img').waitFor({ timeout: 45_000 });
    await card.click();
    const video = page.locator('[data-testid="video"]');
    await video.waitFor({ timeout: 15_000 });
    await playPast(page, 1, 15_000);
  }, 120_000);

  it('creates an API key, sees it once, and uses it like the ittybit SDK', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('[data-testid="key-name"]').fill('my app');
    await page.locator('[data-testid="key-create"]').click();
    const secret = (await page.locator('[data-testid="key-secret"]').textContent()) ?? '';
    expect(secret).toMatch(/^mediary_[A-Za-z0-9]{48}$/);
    await page.getByRole('button', { name: 'Done' }).click();
    // listed by its prefix from now on, never whole
    await page.locator('[data-testid="keys-table"]').getByText('my app').waitFor();
    expect(await page.locator('[data-testid="keys-table"]').textContent()).not.toContain(secret);

    const res = await sdkGet(`${origin}/media`, secret, undefined);
    expect(res.status).toBe(200);
    const body = res.json as { data: { files: { filename: string }[] }[] };
    expect(body.data.some((m) => m.files.some((f) => f.filename === 'holiday.mp4'))).toBe(true);
  }, 60_000);

  it('signs out (the session stops working) and signs in again with the password', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const after = await page.context().request.get(`${origin}/media`);
    expect(after.status()).toBe(401);
    await page.getByLabel('Email').fill('admin@localhost');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Media', exact: true }).waitFor();
    await page.locator('[data-testid="media-card"]').filter({ hasText: 'holiday.mp4' }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
