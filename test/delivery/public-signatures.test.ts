// docs/delivery.md: "A signature that is present is always checked, also on public files: an expired link
// stays expired." A public file is served without a signature, and refused with a bad or expired one.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

/** ittybit's documented signature: HMAC-SHA256 of "path?expiry=E&method=M" with the key, base64url. */
function signPath(key: string, path: string, expiry: number, method = 'get'): string {
  return createHmac('sha256', key).update(`${path}?expiry=${expiry}&method=${method}`).digest('base64url');
}

describe.each(testDatabases())('signatures on public files (%s)', (db) => {
  let t: DeliveryTestApp;
  let fileId: string;
  const now = () => Math.floor(Date.now() / 1000);
  const path = 'open/tone.wav';

  beforeAll(async () => {
    t = await startDeliveryTestApp({ db });
    const up = await t.send(`/${t.projectId}/${path}`, { method: 'PUT', body: wav(4000), auth: true });
    expect(up.status).toBe(201);
    fileId = up.json.data.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is served without a signature and with a valid one', async () => {
    expect((await t.send(`/${t.projectId}/${path}`)).status).toBe(200);
    const expiry = now() + 600;
    const r = await t.send(
      `/${t.projectId}/${path}?expiry=${expiry}&method=get&signature=${signPath(t.key, path, expiry)}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(4000);
  });

  it('an expired signature is refused, by path and by id', async () => {
    const expiry = now() - 60;
    const byPath = await t.send(
      `/${t.projectId}/${path}?expiry=${expiry}&method=get&signature=${signPath(t.key, path, expiry)}`,
    );
    expect(byPath.status).toBe(403);
    expect(byPath.json.error.message).toMatch(/expired/);
    const byId = await t.send(
      `/${t.projectId}/${fileId}?expiry=${expiry}&method=get&signature=${signPath(t.key, fileId, expiry)}`,
    );
    expect(byId.status).toBe(403);
    expect(byId.json.error.message).toMatch(/expired/);
  });

  it('a tampered, wrong-method or wrong-key signature is refused', async () => {
    const expiry = now() + 600;
    const good = signPath(t.key, path, expiry);
    const base = `/${t.projectId}/${path}`;
    const cases: [string, RegExp][] = [
      [`${base}?expiry=${expiry + 1}&method=get&signature=${good}`, /does not match/],
      [
        `${base}?expiry=${expiry}&method=get&signature=${good[0] === 'A' ? 'B' : 'A'}${good.slice(1)}`,
        /does not match/,
      ],
      [`${base}?expiry=${expiry}&method=put&signature=${signPath(t.key, path, expiry, 'put')}`, /PUT/],
      [
        `${base}?expiry=${expiry}&method=get&signature=${signPath('mediary_not_this_projects_key_000', path, expiry)}`,
        /does not match/,
      ],
      [`${base}?expiry=soon&method=get&signature=${good}`, /expiry/],
    ];
    for (const [url, message] of cases) {
      const r = await t.send(url);
      expect(r.status, url).toBe(403);
      expect(r.json.error.message, url).toMatch(message);
    }
    // a HEAD with an expired link is refused too
    const old = now() - 60;
    const head = await t.send(`${base}?expiry=${old}&method=get&signature=${signPath(t.key, path, old)}`, {
      method: 'HEAD',
    });
    expect(head.status).toBe(403);
  });
});
