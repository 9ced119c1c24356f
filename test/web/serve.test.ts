// The dashboard's page and assets: served by the API itself, with a CSP that allows no inline script and no
// framing, and a browser at the API's root sent to it while API clients keep their JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('the dashboard at /app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves one HTML page whose scripts all come from files, under a strict CSP', async () => {
    const res = await t.request('/app/', { noAuth: true, headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    // the delivery host (files, posters, HLS) is the one other origin the page may load media from
    expect(csp).toMatch(/media-src 'self' blob: https:\/\/cdn\.test\.local/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const scripts = [...res.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\/app\/assets\/app\.js\?v=[0-9a-f]{12}"/);
      expect(body.trim()).toBe('');
    }
    expect(res.text).not.toMatch(/\bstyle="/);
    expect(res.text).not.toMatch(/\bon[a-z]+="/);
  });

  it('serves the bundle (preact, the pages) with immutable caching under its version and 304 on revalidation', async () => {
    const page = await t.request('/app', { noAuth: true });
    const version = /app\.js\?v=([0-9a-f]{12})/.exec(page.text)?.[1];
    expect(version).toBeDefined();
    const js = await t.request(`/app/assets/app.js?v=${version}`, { noAuth: true });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.text.length).toBeGreaterThan(10_000);
    expect(js.text).toContain('/auth/session');
    const again = await t.request(`/app/assets/app.js?v=${version}`, {
      noAuth: true,
      headers: { 'if-none-match': String(js.headers.etag) },
    });
    expect(again.status).toBe(304);
    const css = await t.request('/app/assets/app.css', { noAuth: true });
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).toMatch(/prefers-color-scheme: ?dark/);
    expect(css.headers['cache-control']).toBe('no-cache');
  });

  it('gzips for clients that accept it, and serves nothing but the bundle under /app/assets', async () => {
    const plain = await t.request('/app/assets/app.js', { noAuth: true });
    const gz = await t.request('/app/assets/app.js', {
      noAuth: true,
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toMatch(/accept-encoding/i);
    expect(Number(gz.headers['content-length'])).toBeLessThan(Number(plain.headers['content-length']) / 2);
    for (const path of [
      '/app/assets/nope.js',
      '/app/assets/..%2F..%2Fpackage.json',
      '/app/assets/app.js.map',
    ]) {
      const res = await t.request(path, { noAuth: true });
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('"name": "mediary"');
    }
  });

  it('redirects a browser at / to /app/ and gives an API client the usual JSON 404', async () => {
    const browser = await t.request('/', {
      noAuth: true,
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(browser.status).toBe(302);
    expect(browser.headers.location).toBe('/app/');
    const client = await t.request('/', { headers: { accept: 'application/json' } });
    expect(client.status).toBe(404);
    expect(client.headers['content-type']).toMatch(/json/);
    expect(client.json.error.code).toBe('route_not_found');
    // a key-carrying client that happens to accept HTML is an API client
    const sdk = await t.request('/', { headers: { accept: 'text/html' } });
    expect(sdk.status).toBe(404);
  });
});
