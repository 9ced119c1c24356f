// A signed-in session signs upload and playback URLs with its project's dashboard signing secret (derived
// from the server secret, never stored): the dashboard works in a project with no API key, and what it
// signs is good for that project only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

const bare = { 'accept-version': '2025-08-20' };

describe('dashboard signing', () => {
  let t: DeliveryTestApp;
  let cookie = '';
  let csrf = '';
  let production = '';

  const asBrowser = (path: string, method = 'GET', body?: unknown) =>
    t.request(path, {
      noAuth: true,
      method,
      body,
      headers: { ...bare, cookie: `mediary_session=${cookie}`, origin: t.origin, 'x-csrf-token': csrf },
    });

  beforeAll(async () => {
    t = await startDeliveryTestApp();
    const { token } = await t.ctx.accounts.createUser(undefined, 'signer@example.com', 'owner');
    const res = await t.request('/auth/accept', {
      noAuth: true,
      method: 'POST',
      body: { token, password: 'correct horse battery' },
      headers: bare,
    });
    expect(res.status, res.text).toBe(200);
    cookie = /^mediary_session=([^;]*)/.exec(String(res.headers['set-cookie']))?.[1] ?? '';
    csrf = res.json.csrf_token;
    // a new session opens the first project by creation and name: development, never production by chance
    expect(res.json.project.name).toBe('development');
    production = res.json.projects.find((p: { name: string }) => p.name === 'production').id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('uploads and reads in a project that has no API key', async () => {
    const switched = await asBrowser('/auth/session', 'PATCH', { project_id: production });
    expect(switched.status, switched.text).toBe(200);
    expect((await asBrowser('/keys')).json).toEqual([]);

    const put = await asBrowser('/signatures', 'POST', { folder: 'up', filename: 'a.wav', method: 'put' });
    expect(put.status, put.text).toBe(200);
    expect(put.json.url).toContain(`/${production}/up/a.wav?`);
    const body = wav(4000);
    const uploaded = await t.send(put.json.url, { method: 'PUT', body });
    expect([200, 201]).toContain(uploaded.status);

    const get = await asBrowser('/signatures', 'POST', { folder: 'up', filename: 'a.wav' });
    const read = await t.send(get.json.url);
    expect(read.status).toBe(200);
    // a signature is for its path: the same query on another path of the project is refused
    const query = new URL(get.json.url).search;
    expect((await t.send(`/${production}/up/b.wav${query}`)).status).toBe(403);
    // and for its project: the same path and query under another project is refused
    const dev = (await t.request('/project/settings', { headers: bare })).json.project_id as string;
    expect((await t.send(`/${dev}/up/a.wav${query}`)).status).toBe(403);
  });

  it('never lists, shows or accepts the dashboard signer as an API key', async () => {
    const keys = await t.request('/keys', { headers: bare });
    expect(keys.json.map((k: { id: string }) => k.id)).not.toContain('dashboard');
    expect((await t.request('/media', { key: 'dashboard' })).status).toBe(401);
  });
});
