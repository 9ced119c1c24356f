// Attacks on a signed-in dashboard from a real browser (headless chromium). The attacker's page is on
// https://127.0.0.1 like the API, on another port: the same *site*, so SameSite=Lax sends the cookie along
// and only the Origin check and the CSRF token stand in the way. Nothing the attacker asks for may happen.
import type { Server } from 'node:https';
import { createServer } from 'node:https';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTls } from '../../src/http/tls.js';
import { startWebTestApp, type WebTestApp } from '../helpers/web.js';

const PASSWORD = 'correct horse battery';

describe('the dashboard under attack in a browser', () => {
  let w: WebTestApp;
  let page: Page;
  let evil: Server;
  let evilOrigin = '';
  let attackHtml = '';

  beforeAll(async () => {
    w = await startWebTestApp({ worker: false });
    const { token } = await w.t.ctx.accounts.createUser(undefined, 'victim@example.com', 'owner');
    await w.t.ctx.accounts.accept(token, PASSWORD);
    // HTTPS like the API: http and https are different sites to chromium, and the point is the same site
    const tls = await loadTls(w.t.config);
    evil = createServer({ key: tls.key, cert: tls.cert }, (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(attackHtml),
    );
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const addr = evil.address();
    evilOrigin = `https://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const ctx = await w.newContext();
    page = ctx.page;
    await page.goto(`${w.t.origin}/app/#/sign-in`);
    await page.getByLabel('Email').fill('victim@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('header.topbar').waitFor();
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    await new Promise<void>((r) => (evil ? evil.close(() => r()) : r()));
  });

  async function keyNames(): Promise<string[]> {
    const res = await w.t.request('/keys');
    return (res.json.data as { name: string | null }[]).map((k) => k.name ?? '');
  }

  it('a cross-origin fetch and a form post with the victim cookie change nothing', async () => {
    const api = w.t.origin;
    attackHtml = `<!doctype html><html><body>
      <form id="f" method="POST" action="${api}/keys" enctype="text/plain">
        <input name='{"name":"evil-form","x":"' value='"}'>
      </form>
      <iframe name="sink" id="sink"></iframe>
      <script>
        window.results = {};
        fetch('${api}/keys', { method: 'POST', credentials: 'include', mode: 'no-cors',
          headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'evil-fetch' }) })
          .then(() => { window.results.fetch = 'sent'; }, (e) => { window.results.fetch = String(e); });
        fetch('${api}/media', { credentials: 'include' })
          .then((r) => r.text()).then((t) => { window.results.read = t; }, (e) => { window.results.read = 'blocked: ' + e; });
        document.getElementById('f').target = 'sink';
        document.getElementById('f').submit();
      </script></body></html>`;
    const before = await keyNames();
    await page.goto(`${evilOrigin}/attack`);
    for (let i = 0; i < 50; i++) {
      const r = await page.evaluate(() => (window as unknown as { results: Record<string, string> }).results);
      if (r.fetch && r.read) break;
      await page.waitForTimeout(100);
    }
    await page.waitForTimeout(500);
    const results = await page.evaluate(
      () => (window as unknown as { results: Record<string, string> }).results,
    );
    // the read is refused by CORS in the browser (no Access-Control-Allow-Origin on the API)
    expect(results.read).toMatch(/^blocked/);
    const after = await keyNames();
    expect(after).toEqual(before);
    expect(after.some((n) => n.startsWith('evil'))).toBe(false);
  }, 30_000);

  it('the same request with the cookie but without the token is refused even from a same-origin page', async () => {
    await page.goto(`${w.t.origin}/app/#/keys`);
    await page.locator('[data-testid="key-name"]').waitFor();
    const status = await page.evaluate(async () => {
      const r = await fetch('/keys', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'no-token' }),
      });
      return r.status;
    });
    expect(status).toBe(403);
    expect(await keyNames()).not.toContain('no-token');
  }, 30_000);

  it('the dashboard cannot be framed by another site', async () => {
    attackHtml = `<!doctype html><html><body><iframe id="app" src="${w.t.origin}/app/" width="800" height="600"></iframe></body></html>`;
    await page.goto(`${evilOrigin}/frame`);
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f.url().startsWith(w.t.origin));
    // chromium refuses to render it (frame-ancestors 'none'): no frame of ours, or one with an empty document
    const rendered = frame
      ? await frame
          .locator('#root')
          .count()
          .catch(() => 0)
      : 0;
    expect(rendered).toBe(0);
  }, 30_000);
});
