import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSignature, sign, stringToSign } from '../../src/services/signatures.service.js';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

/** Exactly what ittybit's docs tell an app to do (Node's digest('base64url')). */
function docsSignature(key: string, path: string, expiry: number, method: string): string {
  return createHmac('sha256', key).update(`${path}?expiry=${expiry}&method=${method}`).digest('base64url');
}

/** What ittybit's sample app does by hand: standard base64, then +→-, /→_, strip =. */
function appSignature(key: string, path: string, expiry: number, method: string): string {
  return createHmac('sha256', key)
    .update(`${path}?expiry=${expiry}&method=${method}`)
    .digest('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

describe('signature algorithm', () => {
  it('matches the documented HMAC-SHA256 base64url over path?expiry&method', () => {
    const key = 'ittybit_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL';
    const s = sign(key, stringToSign('example/video.mp4', 1735689600, 'put'));
    expect(s).toBe(docsSignature(key, 'example/video.mp4', 1735689600, 'put'));
    expect(s).toBe(appSignature(key, 'example/video.mp4', 1735689600, 'put'));
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('decodes base64url, padded standard base64 and a "+" turned into a space by a query string', () => {
    const digest = createHmac('sha256', 'k').update('x').digest();
    const std = digest.toString('base64');
    expect(decodeSignature(digest.toString('base64url'))?.equals(digest)).toBe(true);
    expect(decodeSignature(std)?.equals(digest)).toBe(true);
    expect(decodeSignature(std.replace(/\+/g, ' '))?.equals(digest)).toBe(true);
    expect(decodeSignature('not base64!')).toBeNull();
    expect(decodeSignature('AAAA')).toBeNull();
  });
});

describe.each(testDatabases())('signatures (%s)', (db) => {
  let t: DeliveryTestApp;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await startDeliveryTestApp({ db });
    // a private folder, so that every GET below needs a valid signature
    const r = await t.request('/project/settings', {
      method: 'PATCH',
      body: { private_prefixes: ['private'] },
    });
    expect(r.status).toBe(200);
    const up = await t.send(`/${t.projectId}/private/tone.wav`, {
      method: 'PUT',
      body: wav(4000),
      auth: true,
    });
    expect(up.status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('POST /signatures returns the parts and a URL that works', async () => {
    const r = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'tone.wav', folder: 'private' },
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(r.status).toBe(200);
    const s = r.json;
    expect(s.domain).toBe(`${t.deliveryOrigin.replace('https://', '')}/${t.projectId}`);
    expect(s).toMatchObject({ filename: 'tone.wav', folder: 'private', method: 'get' });
    expect(s.expiry).toBeGreaterThanOrEqual(now() + 3595);
    expect(s.expiry).toBeLessThanOrEqual(now() + 3600);
    expect(s.signature).toBe(docsSignature(t.key, 'private/tone.wav', s.expiry, 'get'));
    expect(s.url).toBe(
      `https://${s.domain}/private/tone.wav?expiry=${s.expiry}&method=get&signature=${s.signature}`,
    );
    const g = await t.send(s.url);
    expect(g.status).toBe(200);
    expect(g.body.length).toBe(4000);
  });

  it('answers in the G2 envelope by default', async () => {
    const r = await t.request('/signatures', { method: 'POST', body: { filename: 'a.mp4', method: 'put' } });
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({ filename: 'a.mp4', method: 'put' });
    expect(r.json.data.folder).toBeUndefined();
    expect(r.json.error).toBeNull();
  });

  it('sanitises filename and folder and never leaves the project', async () => {
    const r = await t.request('/signatures', {
      method: 'POST',
      // (a NUL anywhere in a body is refused outright: test/review/text-storable.test.ts)
      body: { filename: '../../etc/pass wd\t.mp4', folder: '/../a\\b/./c\u202e', method: 'put' },
      headers: { 'accept-version': 'latest' },
    });
    expect(r.status).toBe(200);
    expect(r.json.filename).toBe('pass_wd_.mp4');
    expect(r.json.folder).toBe('__/a_b/_/c_');
    expect(r.json.url.startsWith(`${t.deliveryOrigin}/${t.projectId}/__/a_b/_/c_/pass_wd_.mp4?`)).toBe(true);
  });

  it('refuses past, zero and negative expiries, and unknown methods', async () => {
    for (const expiry of [now() - 10, 0, -5]) {
      const r = await t.request('/signatures', { method: 'POST', body: { filename: 'a.mp4', expiry } });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/expiry/);
    }
    const m = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'a.mp4', method: 'delete' },
    });
    expect(m.status).toBe(400);
    expect(m.json.error.message).toMatch(/method/);
    const f = await t.request('/signatures', { method: 'POST', body: { filename: '' } });
    expect(f.status).toBe(400);
  });

  it('accepts signatures an app computes itself, padded base64, and URLs without method', async () => {
    const expiry = now() + 600;
    const base = `/${t.projectId}/private/tone.wav`;
    const own = await t.send(
      `${base}?expiry=${expiry}&method=get&signature=${appSignature(t.key, 'private/tone.wav', expiry, 'get')}`,
    );
    expect(own.status).toBe(200);
    const padded = createHmac('sha256', t.key)
      .update(`private/tone.wav?expiry=${expiry}&method=get`)
      .digest('base64');
    expect(
      (await t.send(`${base}?expiry=${expiry}&method=get&signature=${encodeURIComponent(padded)}`)).status,
    ).toBe(200);
    // legacy links: no method in the URL means a GET link
    const legacy = docsSignature(t.key, 'private/tone.wav', expiry, 'get');
    expect((await t.send(`${base}?expiry=${expiry}&signature=${legacy}`)).status).toBe(200);
  });

  it('rejects expired, tampered, wrong-path, wrong-method and other-project signatures with 403', async () => {
    const expiry = now() + 600;
    const good = docsSignature(t.key, 'private/tone.wav', expiry, 'get');
    const base = `/${t.projectId}/private/tone.wav`;
    const cases: [string, RegExp][] = [
      [
        `${base}?expiry=${now() - 1}&method=get&signature=${docsSignature(t.key, 'private/tone.wav', now() - 1, 'get')}`,
        /expired/,
      ],
      [`${base}?expiry=${expiry + 1}&method=get&signature=${good}`, /does not match/],
      [
        `${base}?expiry=${expiry}&method=get&signature=${good[0] === 'A' ? 'B' : 'A'}${good.slice(1)}`,
        /does not match/,
      ],
      [`${base}?expiry=${expiry}&method=put&signature=${good}`, /signed for PUT, not GET/],
      [`/${t.projectId}/private/other.wav?expiry=${expiry}&method=get&signature=${good}`, /does not match/],
      [
        `${base}?expiry=${expiry}&method=get&signature=${docsSignature('mediary_other_project_key_0000000', 'private/tone.wav', expiry, 'get')}`,
        /does not match/,
      ],
      [`${base}?expiry=${expiry}&method=get`, /no signature/],
      [`${base}?expiry=soon&method=get&signature=${good}`, /expiry/],
      [`${base}`, /private/],
    ];
    for (const [url, message] of cases) {
      const r = await t.send(url);
      expect(r.status, url).toBe(403);
      expect(r.json.error.message, url).toMatch(message);
    }
  });

  it('a signature for another project does not work here, even with the same path', async () => {
    const other = await t.ctx.projects.createProject(`other-${db}`);
    const otherKey = await t.ctx.projects.createKey(other.id);
    const expiry = now() + 600;
    const sig = docsSignature(otherKey.key, 'private/tone.wav', expiry, 'get');
    const r = await t.send(`/${t.projectId}/private/tone.wav?expiry=${expiry}&method=get&signature=${sig}`);
    expect(r.status).toBe(403);
    // and that project has no such file at all
    const r2 = await t.send(`/${other.id}/private/tone.wav?expiry=${expiry}&method=get&signature=${sig}`);
    expect(r2.status).toBe(404);
  });

  it('works with every active key of the project and stops with a revoked one', async () => {
    const second = await t.ctx.projects.createKey(t.projectId, { name: 'rotation' });
    const expiry = now() + 600;
    const url = `/${t.projectId}/private/tone.wav?expiry=${expiry}&method=get&signature=${docsSignature(second.key, 'private/tone.wav', expiry, 'get')}`;
    expect((await t.send(url)).status).toBe(200);
    await t.ctx.projects.revokeKey(second.id);
    const r = await t.send(url);
    expect(r.status).toBe(403);
  });

  it('signs with the key that made the request', async () => {
    const second = await t.ctx.projects.createKey(t.projectId, { name: 'signer' });
    const r = await t.request('/signatures', {
      method: 'POST',
      key: second.key,
      body: { filename: 'x.wav', expiry: now() + 100 },
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(r.status).toBe(200);
    expect(r.json.signature).toBe(docsSignature(second.key, 'x.wav', r.json.expiry, 'get'));
  });
});
