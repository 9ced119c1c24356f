import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

describe('delivery GET/HEAD', () => {
  let t: DeliveryTestApp;
  let fileId: string;
  let fileUrl: string;
  const bytes = wav(10_000, 3);

  beforeAll(async () => {
    t = await startDeliveryTestApp({ env: { MEDIARY_CORS_ORIGINS: 'https://app.example' } });
    const r = await t.send(`/${t.projectId}/clips/tone.wav`, {
      method: 'PUT',
      body: bytes,
      auth: true,
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(r.status).toBe(201);
    fileId = r.json.id;
    fileUrl = r.json.url;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('forms the URL from the delivery origin, the project id and folder/filename', () => {
    expect(fileUrl).toBe(`${t.deliveryOrigin}/${t.projectId}/clips/tone.wav`);
  });

  it('serves the bytes with type, length, validators and a short cache for replaceable paths', async () => {
    const r = await t.send(`/${t.projectId}/clips/tone.wav`);
    expect(r.status).toBe(200);
    expect(r.body.equals(bytes)).toBe(true);
    expect(r.headers['content-type']).toBe('audio/wav');
    expect(r.headers['content-length']).toBe(String(bytes.length));
    expect(r.headers.etag).toBe(`"${fileId}"`);
    expect(r.headers['last-modified']).toMatch(/GMT$/);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['cache-control']).toBe('public, no-cache');
  });

  it('serves the file by id with a long immutable cache, with or without extension', async () => {
    for (const p of [fileId, `${fileId}.wav`]) {
      const r = await t.send(`/${t.projectId}/${p}`);
      expect(r.status).toBe(200);
      expect(r.body.equals(bytes)).toBe(true);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
  });

  it('HEAD answers the headers without a body', async () => {
    const r = await t.send(`/${t.projectId}/clips/tone.wav`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(bytes.length));
    expect(r.body.length).toBe(0);
  });

  it('answers one byte range with 206, suffix and open ranges too', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=9990-', 9990, 9999],
      ['bytes=-10', 9990, 9999],
      ['bytes=9000-20000', 9000, 9999],
    ];
    for (const [range, start, end] of cases) {
      const r = await t.send(`/${t.projectId}/clips/tone.wav`, { headers: { range } });
      expect(r.status, range).toBe(206);
      expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(r.body.equals(bytes.subarray(start, end + 1))).toBe(true);
    }
  });

  it('416 for a range outside the file; multiple ranges get the whole file', async () => {
    const r = await t.send(`/${t.projectId}/clips/tone.wav`, { headers: { range: 'bytes=10000-' } });
    expect(r.status).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${bytes.length}`);
    expect(r.json.error.message).toMatch(/outside/);
    const multi = await t.send(`/${t.projectId}/clips/tone.wav`, { headers: { range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
    expect(multi.body.length).toBe(bytes.length);
  });

  it('If-None-Match → 304; If-Range with another validator → whole file', async () => {
    const r = await t.send(`/${t.projectId}/clips/tone.wav`, {
      headers: { 'if-none-match': `W/"x", "${fileId}"` },
    });
    expect(r.status).toBe(304);
    expect(r.body.length).toBe(0);
    expect(r.headers.etag).toBe(`"${fileId}"`);
    const stale = await t.send(`/${t.projectId}/clips/tone.wav`, {
      headers: { range: 'bytes=0-9', 'if-range': '"file_other"' },
    });
    expect(stale.status).toBe(200);
    const fresh = await t.send(`/${t.projectId}/clips/tone.wav`, {
      headers: { range: 'bytes=0-9', 'if-range': `"${fileId}"` },
    });
    expect(fresh.status).toBe(206);
  });

  it('404 in the version shape for unknown paths, ids and projects', async () => {
    for (const p of [
      `/${t.projectId}/clips/nope.wav`,
      `/${t.projectId}/file_doesnotexist0000`,
      '/prj_unknown000000000/clips/tone.wav',
      '/not-a-project/clips/tone.wav',
    ]) {
      const r = await t.send(p, { headers: { 'accept-version': '2025-08-20' } });
      expect(r.status, p).toBe(404);
      expect(typeof r.json.message).toBe('string');
    }
  });

  it('never serves another project, and two projects can each have the same path', async () => {
    const other = await t.ctx.projects.createProject('second');
    const otherKey = await t.ctx.projects.createKey(other.id);
    const otherBytes = wav(6000, 7);
    const up = await t.send(`/${other.id}/clips/tone.wav`, {
      method: 'PUT',
      body: otherBytes,
      headers: { authorization: `Bearer ${otherKey.key}` },
    });
    expect(up.status).toBe(201);
    expect((await t.send(`/${other.id}/clips/tone.wav`)).body.equals(otherBytes)).toBe(true);
    expect((await t.send(`/${t.projectId}/clips/tone.wav`)).body.equals(bytes)).toBe(true);
    // a file id of this project under the other project's prefix is not found
    expect((await t.send(`/${other.id}/${fileId}`)).status).toBe(404);
  });

  it('paths with traversal, NUL or backslashes find nothing outside the project', async () => {
    for (const p of [
      `/${t.projectId}/../${t.projectId}/clips/tone.wav`,
      `/${t.projectId}/clips/%2e%2e/%2e%2e/secret.key`,
      `/${t.projectId}/..%2f..%2fsecret.key`,
      `/${t.projectId}/clips%5c..%5ctone.wav`,
      `/${t.projectId}/clips/tone.wav%00.png`,
      `/${t.projectId}/%E0%A4%A`,
    ]) {
      const r = await t.send(p);
      expect([400, 404], p).toContain(r.status);
    }
  });

  it('private prefixes and private projects need a signature or the key', async () => {
    const set = await t.request('/project/settings', {
      method: 'PATCH',
      body: { private_prefixes: ['/clips/'] },
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      access: 'public',
      private_prefixes: ['clips'],
      project_id: t.projectId,
    });
    try {
      const anon = await t.send(`/${t.projectId}/clips/tone.wav`);
      expect(anon.status).toBe(403);
      expect(anon.json.error.message).toMatch(/private/);
      // by id too: the folder of the file decides, not the shape of the URL
      expect((await t.send(`/${t.projectId}/${fileId}`)).status).toBe(403);
      const keyed = await t.send(`/${t.projectId}/clips/tone.wav`, { auth: true });
      expect(keyed.status).toBe(200);
      expect(keyed.headers['cache-control']).toBe('private, no-cache');
      const sig = await t.request('/signatures', {
        method: 'POST',
        body: { filename: fileId },
        headers: { 'accept-version': '2025-08-20' },
      });
      const signed = await t.send(sig.json.url);
      expect(signed.status).toBe(200);
      expect(signed.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
    } finally {
      await t.request('/project/settings', { method: 'PATCH', body: { private_prefixes: [] } });
    }
    await t.request('/project/settings', { method: 'PATCH', body: { access: 'private' } });
    try {
      expect((await t.send(`/${t.projectId}/clips/tone.wav`)).status).toBe(403);
      expect((await t.send(`/${t.projectId}/clips/nope.wav`)).status).toBe(403);
    } finally {
      await t.request('/project/settings', { method: 'PATCH', body: { access: 'public' } });
    }
    expect((await t.send(`/${t.projectId}/clips/tone.wav`)).status).toBe(200);
  });

  it('GET /project/settings reads the settings; bad values are 400', async () => {
    const r = await t.request('/project/settings', { headers: { 'accept-version': '2025-08-20' } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      object: 'project_settings',
      access: 'public',
      private_prefixes: [],
      delivery_url: `${t.deliveryOrigin}/${t.projectId}/`,
    });
    expect(
      (await t.request('/project/settings', { method: 'PATCH', body: { access: 'secret' } })).status,
    ).toBe(400);
    expect(
      (await t.request('/project/settings', { method: 'PATCH', body: { private_prefixes: ['//'] } })).status,
    ).toBe(400);
    expect((await t.request('/project/settings', { noAuth: true })).status).toBe(401);
  });

  it('CORS: allowed origins get headers, preflight allows PUT with Content-Range', async () => {
    const r = await t.send(`/${t.projectId}/clips/tone.wav`, { headers: { origin: 'https://app.example' } });
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(r.headers['access-control-expose-headers']).toMatch(/Content-Range/);
    const other = await t.send(`/${t.projectId}/clips/tone.wav`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await t.send(`/${t.projectId}/clips/new.wav`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-range, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-methods']).toMatch(/PUT/);
    expect(pre.headers['access-control-allow-headers']).toMatch(/content-range/);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('refuses plain HTTP on the delivery port and answers 405 for other methods', async () => {
    const del = await t.send(`/${t.projectId}/clips/tone.wav`, { method: 'DELETE', auth: true });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toMatch(/PUT/);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.deliveryOrigin.replace('https', 'http')}/health`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });
});
