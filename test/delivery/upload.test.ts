import { createHmac } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

async function listAll(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

describe.each(testDatabases())('PUT upload (%s)', (db) => {
  let t: DeliveryTestApp;
  let png: Buffer;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await startDeliveryTestApp({ db, env: { MEDIARY_MAX_UPLOAD_BYTES: String(256 * 1024) } });
    png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#20B075' } })
      .png()
      .toBuffer();
  });
  afterAll(async () => {
    await t?.close();
  });

  const files = async () =>
    (await t.request('/files?limit=100', { headers: { 'accept-version': '2025-08-20' } })).json;

  it('with the API key: 201 + File (G2 by default), a new media, bytes served back', async () => {
    const r = await t.send(`/${t.projectId}/images/logo.png`, { method: 'PUT', body: png, auth: true });
    expect(r.status).toBe(201);
    const f = r.json.data;
    expect(r.json.meta).toMatchObject({ project_id: t.projectId, type: 'object' });
    expect(r.json.links.self).toBe(`https://api.test.local/files/${f.id}`);
    expect(f).toMatchObject({
      object: 'source',
      kind: 'image',
      type: 'image/png',
      width: 64,
      height: 48,
      filesize: png.length,
      folder: 'images',
      filename: 'logo.png',
      ref: 'original',
      status: 'ready',
      url: `${t.deliveryOrigin}/${t.projectId}/images/logo.png`,
    });
    expect(r.headers.location).toBe(f.url);
    const media = await t.request(`/media/${f.media_id}`, { headers: { 'accept-version': '2025-08-20' } });
    expect(media.json.urls.original).toBe(f.url);
    const back = await t.send(`/${t.projectId}/images/logo.png`);
    expect(back.body.equals(png)).toBe(true);
  });

  it('with a signed PUT URL and no key: 201 + File in G3 when asked', async () => {
    const s = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'signed.wav', folder: 'up', method: 'put' },
      headers: { 'accept-version': '2025-08-20' },
    });
    const r = await t.send(s.json.url, {
      method: 'PUT',
      body: wav(3000),
      headers: { 'content-type': 'application/octet-stream', 'accept-version': '2025-08-20' },
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ kind: 'audio', folder: 'up', filename: 'signed.wav', filesize: 3000 });
    // a GET signature does not allow uploads, a PUT signature does not allow another path
    const get = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'signed.wav', folder: 'up' },
      headers: { 'accept-version': '2025-08-20' },
    });
    const r2 = await t.send(get.json.url, { method: 'PUT', body: wav(3000) });
    expect(r2.status).toBe(403);
    expect(r2.json.error.message).toMatch(/signed for GET, not PUT/);
    const r3 = await t.send(s.json.url.replace('/up/signed.wav', '/up/other.wav'), {
      method: 'PUT',
      body: wav(3000),
    });
    expect(r3.status).toBe(403);
    // a genuinely expired PUT link, signed as an app would (POST /signatures refuses past expiries)
    const past = now() - 5;
    const pastSig = createHmac('sha256', t.key)
      .update(`up/signed.wav?expiry=${past}&method=put`)
      .digest('base64url');
    const expired = await t.send(
      `/${t.projectId}/up/signed.wav?expiry=${past}&method=put&signature=${pastSig}`,
      { method: 'PUT', body: wav(3000) },
    );
    expect(expired.status).toBe(403);
    expect(expired.json.error.message).toMatch(/expired/);
  });

  it('no key and no signature → 401; a key of another project → 403; a bad key → 401', async () => {
    const r = await t.send(`/${t.projectId}/a.wav`, { method: 'PUT', body: wav(1000) });
    expect(r.status).toBe(401);
    expect(r.json.error.message).toMatch(/Bearer|signed PUT/);
    const other = await t.ctx.projects.createProject(`up-other-${db}`);
    const otherKey = await t.ctx.projects.createKey(other.id);
    const r2 = await t.send(`/${t.projectId}/a.wav`, {
      method: 'PUT',
      body: wav(1000),
      headers: { authorization: `Bearer ${otherKey.key}` },
    });
    expect(r2.status).toBe(403);
    const r3 = await t.send(`/${t.projectId}/a.wav`, {
      method: 'PUT',
      body: wav(1000),
      headers: { authorization: 'Bearer mediary_nope_nope_nope_nope' },
    });
    expect(r3.status).toBe(401);
  });

  it('hostile names are sanitised and stay inside the project', async () => {
    const cases: [string, string][] = [
      ['/../../../etc/x.wav', '__/__/__/etc/x.wav'],
      ['/%2e%2e/%2e%2e/y.wav', '__/__/y.wav'],
      ['/a%2f..%2f..%2fz.wav', 'z.wav'],
      ['/win%5c..%5cw.wav', 'win_.._w.wav'],
      ['/nul%00byte.wav', 'nul_byte.wav'],
      ['/caf%C3%A9/%E2%80%AEvaw.exe', 'caf_/_vaw.exe'],
      [`/${'d'.repeat(300)}/${'n'.repeat(400)}.wav`, `${'d'.repeat(200)}/${'n'.repeat(196)}.wav`],
    ];
    for (const [suffix, path] of cases) {
      const r = await t.send(`/${t.projectId}${suffix}`, {
        method: 'PUT',
        body: wav(1000),
        auth: true,
        headers: { 'accept-version': '2025-08-20' },
      });
      expect(r.status, suffix).toBe(201);
      expect(r.json.url, suffix).toBe(
        `${t.deliveryOrigin}/${t.projectId}/${path.split('/').map(encodeURIComponent).join('/')}`,
      );
    }
    // the blobs live under the project id whatever the name
    const blobs = await listAll(join(t.dataDir, 'blobs'));
    expect(blobs.every((p) => p.includes(`/blobs/${t.projectId}/file_`))).toBe(true);
  });

  it('a URL without a filename is 400; an empty body is 400', async () => {
    const r = await t.send(`/${t.projectId}/`, { method: 'PUT', body: wav(1000), auth: true });
    expect([400, 404]).toContain(r.status);
    const e = await t.send(`/${t.projectId}/empty.wav`, { method: 'PUT', body: Buffer.alloc(0), auth: true });
    expect(e.status).toBe(400);
    expect(e.json.error.message).toMatch(/empty/);
    const junk = await t.send(`/${t.projectId}/junk.wav`, {
      method: 'PUT',
      body: 'hello, not media',
      auth: true,
    });
    expect(junk.status).toBe(400);
    expect(junk.json.error.message).toMatch(/not a supported/);
  });

  it('over the size limit: 413 from Content-Length before reading, and from a chunked body while reading', async () => {
    const big = wav(300 * 1024);
    const r = await t.send(`/${t.projectId}/big.wav`, { method: 'PUT', body: big, auth: true });
    expect(r.status).toBe(413);
    // no Content-Length: counted while streaming
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        `${t.deliveryOrigin}/${t.projectId}/big-chunked.wav`,
        {
          method: 'PUT',
          ca: t.ca,
          agent: false,
          headers: { authorization: `Bearer ${t.key}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 30; i++) req.write(big.subarray(i * 10_240, (i + 1) * 10_240));
      req.end();
    });
    expect(status).toBe(413);
    await vi.waitFor(async () => expect(await listAll(join(t.dataDir, 'tmp'))).toEqual([]));
  });

  it('a body longer than its Content-Length is cut there; the rest is not a request', async () => {
    const body = wav(2000);
    const raw = await new Promise<string>((resolve, reject) => {
      const u = new URL(t.deliveryOrigin);
      const socket = connect(
        { host: u.hostname, port: Number(u.port), ca: t.ca, servername: 'localhost' },
        () => {
          socket.write(
            `PUT /${t.projectId}/declared.wav HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${t.key}\r\n` +
              `Accept-Version: 2025-08-20\r\nContent-Length: 1000\r\n\r\n`,
          );
          socket.write(body);
        },
      );
      let out = '';
      socket.on('data', (d) => {
        out += d.toString('latin1');
      });
      socket.on('end', () => resolve(out));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
    });
    // the first 1000 bytes are a (shorter) WAV whose header claims more: still probed as audio, or refused
    const first = /^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1];
    expect(['201', '400']).toContain(first);
    // the 1000 trailing bytes are garbage as a request: the connection answers 400 and closes
    expect(raw.match(/HTTP\/1\.1 \d{3}/g)?.length).toBeLessThanOrEqual(2);
    const list = await files();
    expect(
      list
        .filter((f: { filename: string; filesize: number }) => f.filename === 'declared.wav')
        .every((f: { filesize: number }) => f.filesize === 1000),
    ).toBe(true);
  });

  it('a client that disconnects mid-upload leaves no file, no blob and no temp file', async () => {
    const before = (await files()).length;
    const blobsBefore = (await listAll(join(t.dataDir, 'blobs'))).length;
    await new Promise<void>((resolve) => {
      const req = https.request(`${t.deliveryOrigin}/${t.projectId}/gone.wav`, {
        method: 'PUT',
        ca: t.ca,
        agent: false,
        headers: { authorization: `Bearer ${t.key}`, 'content-length': String(200_000) },
      });
      req.on('error', () => resolve());
      req.write(wav(50_000));
      // wait until the server has the first bytes on disk, then vanish
      const poll = setInterval(async () => {
        const tmp = await listAll(join(t.dataDir, 'tmp'));
        if (tmp.some((p) => p.includes('put-'))) {
          clearInterval(poll);
          req.destroy();
          resolve();
        }
      }, 20);
    });
    await vi.waitFor(async () => expect(await listAll(join(t.dataDir, 'tmp'))).toEqual([]), {
      timeout: 5000,
    });
    expect((await files()).length).toBe(before);
    expect((await listAll(join(t.dataDir, 'blobs'))).length).toBe(blobsBefore);
    // the server is fine afterwards
    expect((await t.send('/health')).status).toBe(200);
  });

  it('a newer upload to the same path replaces what the path serves; the old id still works', async () => {
    const a = await t.send(`/${t.projectId}/same.wav`, {
      method: 'PUT',
      body: wav(1000, 1),
      auth: true,
      headers: { 'accept-version': '2025-08-20' },
    });
    const b = await t.send(`/${t.projectId}/same.wav`, {
      method: 'PUT',
      body: wav(1200, 2),
      auth: true,
      headers: { 'accept-version': '2025-08-20' },
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect((await t.send(`/${t.projectId}/same.wav`)).body.length).toBe(1200);
    expect((await t.send(`/${t.projectId}/${a.json.id}`)).body.length).toBe(1000);
  });
});
