// A key of another project and a file id it does not own: GET, PATCH and DELETE /files/{id} answer 404
// exactly like an unknown id, and the file, its fields and its bytes stay as they were.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp } from '../helpers/delivery.js';
import { type PngServer, startPngServer } from '../helpers/png-server.js';

let png: PngServer;
beforeAll(async () => {
  png = await startPngServer();
});
afterAll(async () => {
  await png?.close();
});

describe.each(testDatabases())('files of another project (%s)', (db) => {
  let t: DeliveryTestApp;
  let otherKey: string;
  const bare = { 'accept-version': '2025-08-20' };
  beforeEach(async () => {
    t = await startDeliveryTestApp({ db });
    const other = await t.ctx.projects.createProject(`other-${db}`);
    otherKey = (await t.ctx.projects.createKey(other.id)).key;
  });
  afterEach(async () => {
    await t?.close();
  });

  async function ownFile() {
    const res = await t.request('/files', {
      method: 'POST',
      body: { url: png.url, folder: 'mine', filename: 'a.png', metadata: { owner: 'me' } },
      headers: bare,
    });
    expect(res.status).toBe(201);
    return res.json as { id: string; url: string; filename: string; folder: string };
  }

  async function expectUnchanged(file: { id: string; url: string }) {
    const mine = await t.request(`/files/${file.id}`, { headers: bare });
    expect(mine.status).toBe(200);
    expect(mine.json).toMatchObject({ folder: 'mine', filename: 'a.png', metadata: { owner: 'me' } });
    expect(mine.json.url).toBe(file.url);
    const bytes = await t.send(new URL(file.url).pathname);
    expect(bytes.status).toBe(200);
    expect(bytes.body.subarray(1, 4).toString('latin1')).toBe('PNG');
  }

  it('GET → 404, the same answer as an unknown id', async () => {
    const file = await ownFile();
    const unknown = 'file_0000000000000000';
    const theirs = await t.request(`/files/${file.id}`, { key: otherKey, headers: bare });
    const none = await t.request(`/files/${unknown}`, { key: otherKey, headers: bare });
    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect(theirs.json.message.replace(file.id, 'X')).toBe(none.json.message.replace(unknown, 'X'));
    const list = await t.request('/files?limit=100', { key: otherKey, headers: bare });
    expect(list.json.map((f: { id: string }) => f.id)).not.toContain(file.id);
  });

  it('PATCH → 404 and nothing changes', async () => {
    const file = await ownFile();
    const res = await t.request(`/files/${file.id}`, {
      method: 'PATCH',
      key: otherKey,
      body: { filename: 'stolen.png', folder: 'theirs', metadata: { owner: 'them' } },
      headers: bare,
    });
    expect(res.status).toBe(404);
    await expectUnchanged(file);
  });

  it('DELETE → 404 and the file and its bytes stay', async () => {
    const file = await ownFile();
    const res = await t.request(`/files/${file.id}`, { method: 'DELETE', key: otherKey, headers: bare });
    expect(res.status).toBe(404);
    await expectUnchanged(file);
  });
});
