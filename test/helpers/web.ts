// The dashboard in a real browser: a full mediary (API with /app, delivery host, a worker with two slots, the
// automatic posters on) over TLS, and Debian's chromium driven headless by playwright-core (no download).
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type DeliveryTestApp, startDeliveryTestApp } from './delivery.js';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launch options for Debian's chromium, headless, with no first-run work, background network or autoplay
 * gate. playwright's own headless switch is the old mode, which current chromium no longer has.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  headless: false,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
  ],
};

export function launchChromium(): Promise<Browser> {
  return chromium.launch(CHROMIUM_LAUNCH);
}

/**
 * Plays the page's video (muted) and waits until it has played past `seconds`. A player that attaches its
 * source late (hls.js loads on demand and then sets a MediaSource URL) has no source for a moment: play()
 * then rejects with NotSupportedError, so this waits for a source and retries such a start until the timeout.
 * On timeout it says what the page showed (the player's error note, the element's state).
 */
export async function playPast(page: Page, seconds: number, timeout = 15_000): Promise<void> {
  const video = page.locator('[data-testid="video"]');
  const end = Date.now() + timeout;
  const state = async () => {
    const el = await video
      .evaluate(
        (v: HTMLVideoElement) => `src=${v.currentSrc || v.src || '(none)'} readyState=${v.readyState}`,
      )
      .catch((e: Error) => e.message);
    const note = await page
      .locator('.player [role="alert"]')
      .allTextContents()
      .catch(() => []);
    return `${el}${note.length ? `; the page says: ${note.join(' ')}` : ''}`;
  };
  let started = false;
  while (!started) {
    const res = await video.evaluate((v: HTMLVideoElement) => {
      if (!v.src && !v.currentSrc && !v.querySelector('source')) return 'no source yet';
      v.muted = true;
      return v.play().then(
        () => 'playing',
        (e: Error) => `${e.name}: ${e.message}`,
      );
    });
    if (res === 'playing') started = true;
    else if (Date.now() > end)
      throw new Error(`the video did not start in ${timeout} ms (${res}; ${await state()})`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  while (
    !(await video.evaluate((v: HTMLVideoElement, s: number) => v.currentTime > s, seconds).catch(() => false))
  ) {
    if (Date.now() > end) {
      throw new Error(`the video did not play past ${seconds} s in ${timeout} ms (${await state()})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls a check in the page (page.waitForFunction evaluates a string, which the app's CSP forbids). */
export async function until(page: Page, check: () => boolean, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(check).catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface WebTestApp {
  t: DeliveryTestApp;
  browser: Browser;
  /** a fresh browser profile (its own cookies) with one page */
  newContext(opts?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<{
    context: BrowserContext;
    page: Page;
  }>;
  close(): Promise<void>;
}

export async function startWebTestApp(opts: { env?: Record<string, string>; worker?: boolean } = {}) {
  const t = await startDeliveryTestApp({
    env: { MEDIARY_WORKER_CONCURRENCY: '2', MEDIARY_AUTO_POSTER: 'true', ...opts.env },
  });
  if (opts.worker !== false) await t.ctx.startWorker();
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const app: WebTestApp = {
    t,
    browser,
    async newContext(o = {}) {
      const context = await browser.newContext({
        // the test's self-signed certificate, for the API and the delivery host alike
        ignoreHTTPSErrors: true,
        viewport: { width: o.width ?? 1280, height: o.height ?? 860 },
        colorScheme: o.colorScheme ?? 'light',
        permissions: ['clipboard-read', 'clipboard-write'],
      });
      contexts.push(context);
      const page = await context.newPage();
      return { context, page };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await t.close();
    },
  };
  return app;
}
