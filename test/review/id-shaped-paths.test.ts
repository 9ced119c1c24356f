// Hostile review 5.2: by-id URLs never change. A root path shaped like a file id is refused on every way in
// (PUT and tus uploads, PUT signatures, file PATCH/PUT), and a by-id URL resolves to the id before any path.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp } from '../helpers/delivery.js';

describe.each(testDatabases())('id-shaped root paths (%s)', (db) => {
  let t: DeliveryTestApp;
  let png: Buffer;
  let other: Buffer;
  const v = { 'accept-version': '2025-08-20' };

  beforeAll(async () => {
    t = await startDeliveryTestApp({ db });
    png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    other = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
  });
  afterAll(async () => t?.close());

  it('a root upload named like a file id is refused and the by-id URL keeps serving its file', async () => {
    const a = await t.send(`/${t.projectId}/pics/a.png`, {
      method: 'PUT',
      body: png,
      auth: true,
      headers: v,
    });
    expect(a.status).toBe(201);
    const id = a.json.id as string;
    for (const name of [id, `${id}.png`, 'file_ABCDEFGHIJKLMNOP']) {
      const r = await t.send(`/${t.projectId}/${name}`, {
        method: 'PUT',
        body: other,
        auth: true,
        headers: v,
      });
      expect(r.status, name).toBe(400);
      expect(r.json.error?.code ?? r.json.code ?? r.text).toMatch(/request_invalid/);
    }
    const back = await t.send(`/${t.projectId}/${id}`);
    expect(back.status).toBe(200);
    expect(back.body.equals(png)).toBe(true);
    // a name in a folder, or one that only starts like an id, is fine
    const ok = await t.send(`/${t.projectId}/x/${id}.png`, { method: 'PUT', body: other, auth: true });
    expect(ok.status).toBe(201);
  });

  it('signatures for uploads and file renames refuse such names too; GET signatures by id still work', async () => {
    const a = await t.send(`/${t.projectId}/b.png`, { method: 'PUT', body: png, auth: true, headers: v });
    const id = a.json.id as string;
    const put = await t.request('/signatures', { method: 'POST', body: { filename: id, method: 'put' } });
    expect(put.status).toBe(400);
    const get = await t.request('/signatures', { method: 'POST', body: { filename: id, method: 'get' } });
    expect(get.status).toBe(200);
    const c = await t.send(`/${t.projectId}/c.png`, { method: 'PUT', body: other, auth: true, headers: v });
    const patch = await t.request(`/files/${c.json.id}`, {
      method: 'PATCH',
      body: { filename: `${id}.png` },
    });
    expect(patch.status).toBe(400);
    const own = await t.request(`/files/${c.json.id}`, {
      method: 'PATCH',
      body: { filename: `${c.json.id}.png` },
    });
    expect(own.status).toBe(200);
  });

  it('resolves ids before paths: a row whose path is another file id (made before this rule) does not shadow it', async () => {
    const a = await t.send(`/${t.projectId}/d.png`, { method: 'PUT', body: png, auth: true, headers: v });
    const b = await t.send(`/${t.projectId}/e.png`, { method: 'PUT', body: other, auth: true, headers: v });
    await t.ctx.store.db
      .updateTable('files')
      .set({ path: a.json.id, folder: null, filename: a.json.id })
      .where('id', '=', b.json.id)
      .execute();
    const back = await t.send(`/${t.projectId}/${a.json.id}`);
    expect(back.body.equals(png)).toBe(true);
  });
});
