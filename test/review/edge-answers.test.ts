// Hostile review 5.5: answers at the edges match the docs.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp } from '../helpers/delivery.js';

describe.each(testDatabases())('edge answers (%s)', (db) => {
  let t: DeliveryTestApp;
  let png: Buffer;
  const v = { 'accept-version': '2025-08-20' };
  beforeAll(async () => {
    t = await startDeliveryTestApp({ db });
    png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#20B075' } })
      .png()
      .toBuffer();
  });
  afterAll(async () => t?.close());

  it('POST /signatures refuses an expiry the delivery host could never accept (more than 15 digits)', async () => {
    const r = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'a.png', method: 'get', expiry: 1_000_000_000_000_000 },
    });
    expect(r.status).toBe(400);
  });

  it('a 17-digit total is 413, as documented', async () => {
    const r = await t.send(`/${t.projectId}/big.png`, {
      method: 'PUT',
      body: png.subarray(0, 10),
      auth: true,
      headers: { 'content-range': 'bytes 0-9/10000000000000000' },
    });
    expect(r.status).toBe(413);
  });

  it('the completing chunk sent again answers 200 + the File, not 409', async () => {
    const half = Math.floor(png.length / 2);
    const total = png.length;
    const a = await t.send(`/${t.projectId}/dup.png`, {
      method: 'PUT',
      body: png.subarray(0, half),
      auth: true,
      headers: { 'content-range': `bytes 0-${half - 1}/${total}`, ...v },
    });
    expect(a.status).toBe(202);
    const last = { 'content-range': `bytes ${half}-${total - 1}/${total}`, ...v };
    const b = await t.send(`/${t.projectId}/dup.png`, {
      method: 'PUT',
      body: png.subarray(half),
      auth: true,
      headers: last,
    });
    expect(b.status).toBe(201);
    const c = await t.send(`/${t.projectId}/dup.png`, {
      method: 'PUT',
      body: png.subarray(half),
      auth: true,
      headers: last,
    });
    expect(c.status).toBe(200);
    expect(c.json.id).toBe(b.json.id);
  });

  it('media_corrupt does not show an internal temp file name; delivery errors link to the delivery origin', async () => {
    const junk = Buffer.concat([png.subarray(0, 40), Buffer.alloc(200, 7)]);
    const r = await t.send(`/${t.projectId}/broken.png`, { method: 'PUT', body: junk, auth: true });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.text).not.toMatch(/put-|ingest-|\/tmp\/|mediary-test-/);
    expect(r.json.links.self).toBe(`${t.deliveryOrigin}/${t.projectId}/broken.png`);
  });

  it('ingest tasks refuse unknown options, keep accepting the legacy width/height', async () => {
    const bad = await t.request('/tasks', {
      method: 'POST',
      body: {
        kind: 'ingest',
        url: 'https://127.0.0.1:9/a.png',
        webhook_url_typo: 'x',
        options: { url: 'x' },
      },
    });
    expect(bad.status).toBe(400);
    const legacy = await t.request('/tasks', {
      method: 'POST',
      body: { kind: 'ingest', url: 'https://127.0.0.1:9/a.png', width: 10, height: 10 },
    });
    expect(legacy.status).toBe(201);
  });
});
