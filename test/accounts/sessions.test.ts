// Dashboard accounts over HTTPS (docs/webapp.md): sign-in links, the session cookie, same-origin and CSRF
// rules, expiry, sign-out, users, API keys and usage, on SQLite and (when configured) PostgreSQL.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/services/accounts.service.js';
import { startTestApp, type TestApp, type TestResponse, testDatabases } from '../helpers/app.js';
import { type PngServer, startPngServer } from '../helpers/png-server.js';

const bare = { 'accept-version': '2025-08-20' };
const PASSWORD = 'correct horse battery';

interface Browser {
  cookie: string;
  csrf: string;
  session: {
    user: { id: string };
    project: { id: string; name: string };
    projects: { id: string; name: string }[];
  };
}

function cookieOf(res: TestResponse): string {
  const set = res.headers['set-cookie'];
  const line = (Array.isArray(set) ? set[0] : set) ?? '';
  return /^mediary_session=([^;]*)/.exec(line)?.[1] ?? '';
}

/** A request as the dashboard sends it: cookie, our origin, and the CSRF token on unsafe methods. */
function asBrowser(
  t: TestApp,
  b: Browser,
  path: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { ...bare, cookie: `mediary_session=${b.cookie}` };
  if (method !== 'GET') {
    headers.origin = t.origin;
    headers['x-csrf-token'] = b.csrf;
  }
  return t.request(path, { noAuth: true, method, body: opts.body, headers: { ...headers, ...opts.headers } });
}

async function invite(t: TestApp, email: string, role: 'owner' | 'member' = 'member'): Promise<string> {
  const { token } = await t.ctx.accounts.createUser(undefined, email, role);
  return token;
}

async function accept(t: TestApp, token: string, password = PASSWORD): Promise<Browser> {
  const res = await t.request('/auth/accept', {
    noAuth: true,
    method: 'POST',
    body: { token, password },
    headers: bare,
  });
  expect(res.status, res.text).toBe(200);
  return { cookie: cookieOf(res), csrf: res.json.csrf_token, session: res.json };
}

async function signIn(t: TestApp, email: string, password = PASSWORD, headers: Record<string, string> = {}) {
  return t.request('/auth/sign-in', {
    noAuth: true,
    method: 'POST',
    body: { email, password },
    headers: { ...bare, ...headers },
  });
}

async function browserFor(t: TestApp, email: string, role: 'owner' | 'member' = 'member'): Promise<Browser> {
  return accept(t, await invite(t, email, role));
}

describe('passwords', () => {
  it('scrypt hashes verify, wrong passwords and mangled hashes do not', async () => {
    const h = await hashPassword('a long enough secret');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('a long enough secret', h)).toBe(true);
    expect(await verifyPassword('a long enough secreT', h)).toBe(false);
    expect(
      await verifyPassword(
        'a long enough secret',
        // a character in the middle of the hash (the last one carries padding bits)
        h.slice(0, -10) + (h.at(-10) === 'A' ? 'B' : 'A') + h.slice(-9),
      ),
    ).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await hashPassword('a long enough secret')).not.toBe(h);
  });
});

describe.each(testDatabases())('accounts and sessions (%s)', (db) => {
  let t: TestApp;
  let png: PngServer;
  beforeAll(async () => {
    t = await startTestApp({ db });
    png = await startPngServer();
  });
  afterAll(async () => {
    await t?.close();
    await png?.close();
  });

  it('a sign-in link sets the password and signs in with a HttpOnly, Secure, SameSite=Lax cookie', async () => {
    const token = await invite(t, 'Alice@Example.com', 'owner');
    const res = await t.request('/auth/accept', {
      noAuth: true,
      method: 'POST',
      body: { token, password: PASSWORD },
      headers: bare,
    });
    expect(res.status).toBe(200);
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^mediary_session=[A-Za-z0-9_-]{43};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('Secure');
    expect(set).toContain('SameSite=Lax');
    expect(set).toContain('Path=/');
    expect(set).toMatch(/Max-Age=1209600/);
    expect(res.json).toMatchObject({
      object: 'session',
      user: { email: 'alice@example.com', role: 'owner' },
      project: { name: 'development' },
      delivery_url: 'https://cdn.test.local',
    });
    expect(res.json.projects.map((p: { name: string }) => p.name)).toEqual(['development', 'production']);
    // the link is single use, and short passwords are refused
    const again = await t.request('/auth/accept', {
      noAuth: true,
      method: 'POST',
      body: { token, password: PASSWORD },
      headers: bare,
    });
    expect(again.status).toBe(400);
    expect(again.json.kind).toBe('token_invalid');
    const short = await t.request('/auth/accept', {
      noAuth: true,
      method: 'POST',
      body: { token: await invite(t, 'short@example.com'), password: 'short' },
      headers: bare,
    });
    expect(short.status).toBe(400);
    expect(short.json.kind).toBe('request_invalid');
    // the store keeps only the hash of the cookie
    const cookie = cookieOf(res);
    const rows = await t.ctx.store.db.selectFrom('sessions').selectAll().execute();
    expect(rows.some((r) => r.id_hash === cookie)).toBe(false);
    const session = await asBrowser(t, { cookie, csrf: '', session: res.json }, '/auth/session');
    expect(session.status).toBe(200);
    expect(session.json.user.email).toBe('alice@example.com');
  });

  it('wrong password and unknown email get the identical 401', async () => {
    await browserFor(t, 'bob@example.com');
    const wrong = await signIn(t, 'bob@example.com', 'not the password');
    const unknown = await signIn(t, 'nobody@example.com', 'not the password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
    expect(wrong.json.kind).toBe('credentials_invalid');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const ok = await signIn(t, ' BOB@example.com ');
    expect(ok.status).toBe(200);
    expect(cookieOf(ok)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a session reads the media of its selected project, switches project, never reads another project', async () => {
    const b = await browserFor(t, 'carol@example.com');
    const created = await t.request('/files', {
      method: 'POST',
      body: { url: png.url, filename: 'a.png' },
      headers: bare,
    });
    expect(created.status).toBe(201);
    const mediaId = created.json.media_id;
    const list = await asBrowser(t, b, '/media');
    expect(list.status).toBe(200);
    expect(list.json.map((m: { id: string }) => m.id)).toContain(mediaId);
    expect((await asBrowser(t, b, `/media/${mediaId}`)).status).toBe(200);
    // the envelope still works for a session
    const env = await t.request('/media', {
      noAuth: true,
      headers: { cookie: `mediary_session=${b.cookie}` },
    });
    expect(env.json.meta.project_id).toBe(b.session.project.id);

    const production = b.session.projects.find((p) => p.name === 'production');
    const sw = await asBrowser(t, b, '/auth/session', {
      method: 'PATCH',
      body: { project_id: production?.id },
    });
    expect(sw.status).toBe(200);
    expect(sw.json.project.name).toBe('production');
    expect((await asBrowser(t, b, `/media/${mediaId}`)).status).toBe(404);
    expect((await asBrowser(t, b, '/media')).json).toEqual([]);
    // a project of no concern is a 404, and the selection stays
    const bad = await asBrowser(t, b, '/auth/session', {
      method: 'PATCH',
      body: { project_id: 'prj_doesnotexist' },
    });
    expect(bad.status).toBe(404);
    const back = await asBrowser(t, b, '/auth/session', {
      method: 'PATCH',
      body: { project_id: b.session.project.id },
    });
    expect(back.json.project.name).toBe('development');
    expect((await asBrowser(t, b, `/media/${mediaId}`)).status).toBe(200);
  });

  it('same origin only; unsafe methods need X-CSRF-Token and our Origin', async () => {
    const b = await browserFor(t, 'dave@example.com');
    const foreign = await asBrowser(t, b, '/media', { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json.kind).toBe('csrf_failed');
    expect((await asBrowser(t, b, '/media', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(
      403,
    );
    expect((await asBrowser(t, b, '/media', { headers: { 'sec-fetch-site': 'same-site' } })).status).toBe(
      403,
    );
    expect(
      (await asBrowser(t, b, '/media', { headers: { 'sec-fetch-site': 'same-origin', origin: t.origin } }))
        .status,
    ).toBe(200);
    // the configured public origin is ours too
    expect((await asBrowser(t, b, '/media', { headers: { origin: 'https://api.test.local' } })).status).toBe(
      200,
    );

    const cookieOnly = { ...bare, cookie: `mediary_session=${b.cookie}` };
    const noToken = await t.request('/keys', {
      noAuth: true,
      method: 'POST',
      body: { name: 'x' },
      headers: { ...cookieOnly, origin: t.origin },
    });
    expect(noToken.status).toBe(403);
    expect(noToken.json.kind).toBe('csrf_failed');
    const wrongToken = await t.request('/keys', {
      noAuth: true,
      method: 'POST',
      body: { name: 'x' },
      headers: { ...cookieOnly, origin: t.origin, 'x-csrf-token': `${b.csrf}x` },
    });
    expect(wrongToken.status).toBe(403);
    const noOrigin = await t.request('/keys', {
      noAuth: true,
      method: 'POST',
      body: { name: 'x' },
      headers: { ...cookieOnly, 'x-csrf-token': b.csrf },
    });
    expect(noOrigin.status).toBe(403);
    const referer = await t.request('/keys', {
      noAuth: true,
      method: 'POST',
      body: { name: 'via referer' },
      headers: { ...cookieOnly, 'x-csrf-token': b.csrf, referer: `${t.origin}/app/` },
    });
    expect(referer.status).toBe(201);
    const ok = await asBrowser(t, b, '/keys', { method: 'POST', body: { name: 'x' } });
    expect(ok.status).toBe(201);
    // what a user makes is theirs
    const file = await asBrowser(t, b, '/files', { method: 'POST', body: { url: png.url } });
    expect(file.status).toBe(201);
    expect(file.json.created_by).toBe(b.session.user.id);
    // a session signs URLs with the project's active key
    const signed = await asBrowser(t, b, '/signatures', {
      method: 'POST',
      body: { filename: 'a.png', expiry: Math.floor(Date.now() / 1000) + 600 },
    });
    expect(signed.status, signed.text).toBe(200);
    expect(signed.json.url).toContain('signature=');
  });

  it('a session ends when idle, at its absolute expiry, at sign-out and at sign-out everywhere', async () => {
    const setSession = async (cookie: string, patch: { last_seen?: string; expires?: string }) => {
      const all = await t.ctx.store.db.selectFrom('sessions').selectAll().execute();
      const { createHash } = await import('node:crypto');
      const hash = createHash('sha256').update(cookie).digest('hex');
      expect(all.some((r) => r.id_hash === hash)).toBe(true);
      await t.ctx.store.db.updateTable('sessions').set(patch).where('id_hash', '=', hash).execute();
    };
    const idle = await browserFor(t, 'erin@example.com');
    expect((await asBrowser(t, idle, '/media')).status).toBe(200);
    await setSession(idle.cookie, { last_seen: new Date(Date.now() - 23 * 3600_000).toISOString() });
    expect((await asBrowser(t, idle, '/media')).status).toBe(200);
    await setSession(idle.cookie, { last_seen: new Date(Date.now() - 25 * 3600_000).toISOString() });
    const gone = await asBrowser(t, idle, '/media');
    expect(gone.status).toBe(401);
    expect(gone.json.kind).toBe('session_missing');

    const abs = (await signIn(t, 'erin@example.com')).headers;
    const absCookie = /mediary_session=([^;]*)/.exec(String(abs['set-cookie']))?.[1] ?? '';
    const absB = { cookie: absCookie, csrf: '', session: idle.session };
    expect((await asBrowser(t, absB, '/media')).status).toBe(200);
    await setSession(absCookie, { expires: new Date(Date.now() - 1000).toISOString() });
    expect((await asBrowser(t, absB, '/auth/session')).status).toBe(401);

    // sign-out ends this session only
    const one = await signIn(t, 'erin@example.com');
    const two = await signIn(t, 'erin@example.com');
    const b1 = { cookie: cookieOf(one), csrf: one.json.csrf_token, session: one.json };
    const b2 = { cookie: cookieOf(two), csrf: two.json.csrf_token, session: two.json };
    const out = await asBrowser(t, b1, '/auth/sign-out', { method: 'POST' });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^mediary_session=; .*Max-Age=0/);
    expect((await asBrowser(t, b1, '/media')).status).toBe(401);
    expect((await asBrowser(t, b2, '/media')).status).toBe(200);
    // sign-out without the CSRF token is refused
    expect(
      (await asBrowser(t, b2, '/auth/sign-out', { method: 'POST', headers: { 'x-csrf-token': 'nope' } }))
        .status,
    ).toBe(403);
    const three = await signIn(t, 'erin@example.com');
    const b3 = { cookie: cookieOf(three), csrf: three.json.csrf_token, session: three.json };
    const all = await asBrowser(t, b2, '/auth/sign-out-everywhere', { method: 'POST' });
    expect(all.status).toBe(200);
    expect((await asBrowser(t, b2, '/media')).status).toBe(401);
    expect((await asBrowser(t, b3, '/media')).status).toBe(401);
    expect((await t.request('/auth/session', { noAuth: true, headers: bare })).json.kind).toBe(
      'session_missing',
    );
  });

  it('owners manage users; members get 403; the last owner is protected', async () => {
    const owner = await browserFor(t, 'owner1@example.com', 'owner');
    const member = await browserFor(t, 'member1@example.com');
    const denied = await asBrowser(t, member, '/users');
    expect(denied.status).toBe(403);
    expect(denied.json.kind).toBe('forbidden');
    expect(
      (await asBrowser(t, member, '/users', { method: 'POST', body: { email: 'x@example.com' } })).status,
    ).toBe(403);
    // an API key is not a user either
    expect((await t.request('/users', { headers: bare })).status).toBe(403);

    const invited = await asBrowser(t, owner, '/users', {
      method: 'POST',
      body: { email: 'New@Example.com', role: 'member' },
    });
    expect(invited.status).toBe(201);
    expect(invited.json).toMatchObject({
      object: 'user',
      email: 'new@example.com',
      role: 'member',
      status: 'invited',
    });
    expect(invited.json.sign_in_url).toMatch(
      /^https:\/\/api\.test\.local\/app\/#\/accept\/[A-Za-z0-9_-]{43}$/,
    );
    expect(
      (await asBrowser(t, owner, '/users', { method: 'POST', body: { email: 'new@example.com' } })).status,
    ).toBe(409);
    const newcomer = await accept(t, invited.json.sign_in_url.split('/').pop());
    const listed = await asBrowser(t, owner, '/users');
    const row = listed.json.find((u: { email: string }) => u.email === 'new@example.com');
    expect(row.status).toBe('active');
    expect(row.last_sign_in_at).toMatch(/^\d{4}-/);

    const promoted = await asBrowser(t, owner, `/users/${row.id}`, {
      method: 'PATCH',
      body: { role: 'owner' },
    });
    expect(promoted.json.role).toBe('owner');
    expect((await asBrowser(t, newcomer, '/users')).status).toBe(200);
    const removed = await asBrowser(t, owner, `/users/${row.id}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await asBrowser(t, newcomer, '/media')).status).toBe(401);
    expect((await asBrowser(t, owner, `/users/${owner.session.user.id}`, { method: 'DELETE' })).status).toBe(
      409,
    );
  });

  it('the last owner cannot be demoted or removed', async () => {
    const solo = await startTestApp({ db });
    try {
      const a = await browserFor(solo, 'a@example.com', 'owner');
      const b = await browserFor(solo, 'b@example.com', 'owner');
      const demoteB = await asBrowser(solo, a, `/users/${b.session.user.id}`, {
        method: 'PATCH',
        body: { role: 'member' },
      });
      expect(demoteB.status).toBe(200);
      const self = await asBrowser(solo, a, `/users/${a.session.user.id}`, {
        method: 'PATCH',
        body: { role: 'member' },
      });
      expect(self.status).toBe(409);
      expect(self.json.kind).toBe('conflict');
      // b, now a member, can no longer manage users
      expect((await asBrowser(solo, b, '/users')).status).toBe(403);
    } finally {
      await solo.close();
    }
  });

  it('keys: create (secret once), pause, resume, roll with grace, revoke', async () => {
    const owner = await browserFor(t, 'keys@example.com', 'owner');
    const created = await asBrowser(t, owner, '/keys', { method: 'POST', body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const secret: string = created.json.secret;
    expect(secret).toMatch(/^mediary_[A-Za-z0-9]{48}$/);
    expect(created.json).toMatchObject({
      object: 'key',
      name: 'ci',
      status: 'active',
      project_id: owner.session.project.id,
    });
    expect(created.json.prefix).toBe(`${secret.slice(0, 12)}…${secret.slice(-4)}`);
    const listed = await asBrowser(t, owner, '/keys');
    expect(listed.text).not.toContain(secret);
    expect(listed.json.find((k: { id: string }) => k.id === created.json.id).prefix).toBe(
      created.json.prefix,
    );
    const id = created.json.id;
    const withKey = (key: string) => t.request('/media', { key, headers: bare });
    expect((await withKey(secret)).status).toBe(200);
    // last_used is written beside the request, not in it: it shows up a moment later
    await expect
      .poll(async () => (await t.request(`/keys/${id}`, { headers: bare })).json.last_used_at)
      .toMatch(/^\d{4}-/);

    const paused = await t.request(`/keys/${id}`, {
      method: 'PATCH',
      body: { status: 'paused' },
      headers: bare,
    });
    expect(paused.json.status).toBe('paused');
    expect((await withKey(secret)).status).toBe(401);
    const resumed = await t.request(`/keys/${id}`, {
      method: 'PATCH',
      body: { status: 'active', name: 'ci-2' },
      headers: bare,
    });
    expect(resumed.json).toMatchObject({ status: 'active', name: 'ci-2' });
    expect((await withKey(secret)).status).toBe(200);

    const rolled = await t.request(`/keys/${id}/roll`, {
      method: 'POST',
      body: { grace_seconds: 2 },
      headers: bare,
    });
    expect(rolled.status).toBe(201);
    expect(rolled.json.name).toBe('ci-2 (rolled)');
    const next: string = rolled.json.secret;
    expect((await withKey(next)).status).toBe(200);
    expect((await withKey(secret)).status).toBe(200);
    const old = await t.request(`/keys/${id}`, { headers: bare });
    expect(old.json.status).toBe('expiring');
    expect(Date.parse(old.json.expires_at) - Date.now()).toBeLessThanOrEqual(2000);
    await new Promise((r) => setTimeout(r, 2200));
    expect((await withKey(secret)).status).toBe(401);
    expect((await withKey(next)).status).toBe(200);
    expect((await t.request(`/keys/${id}`, { headers: bare })).json.status).toBe('revoked');

    // a key cannot revoke itself; another key (or a session) can
    const self = await t.request(`/keys/${rolled.json.id}`, { method: 'DELETE', key: next, headers: bare });
    expect(self.status).toBe(409);
    const revoked = await asBrowser(t, owner, `/keys/${rolled.json.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.json.status).toBe('revoked');
    expect((await withKey(next)).status).toBe(401);
    // keys of another project are not found
    const other = await t.ctx.projects.createProject(`other-${db}`);
    const foreign = await t.ctx.projects.createKey(other.id);
    expect((await t.request(`/keys/${foreign.id}`, { method: 'DELETE', headers: bare })).status).toBe(404);
    expect((await withKey(foreign.key)).status).toBe(200);
    expect(
      (
        await t.request('/keys/key_nope/roll', {
          method: 'POST',
          body: { grace_seconds: 2592001 },
          headers: bare,
        })
      ).status,
    ).toBe(400);
  });

  it('projects: list for keys and sessions, create and rename in a session', async () => {
    const b = await browserFor(t, 'projects@example.com');
    const list = await t.request('/projects', { headers: bare });
    expect(list.status).toBe(200);
    expect(list.json[0]).toMatchObject({ object: 'project', name: 'development' });
    expect(
      (await t.request('/projects', { method: 'POST', body: { name: 'nope' }, headers: bare })).status,
    ).toBe(403);
    const made = await asBrowser(t, b, '/projects', { method: 'POST', body: { name: `staging-${db}` } });
    expect(made.status).toBe(201);
    const renamed = await asBrowser(t, b, `/projects/${made.json.id}`, {
      method: 'PATCH',
      body: { name: `qa-${db}` },
    });
    expect(renamed.json.name).toBe(`qa-${db}`);
    expect(
      (await asBrowser(t, b, `/projects/${made.json.id}`, { method: 'PATCH', body: { name: 'development' } }))
        .status,
    ).toBe(409);
    const session = await asBrowser(t, b, '/auth/session');
    expect(session.json.projects.map((p: { name: string }) => p.name)).toContain(`qa-${db}`);
  });

  it('usage counts what the project holds and did', async () => {
    const other = await t.ctx.projects.createProject(`usage-${db}`);
    const key = (await t.ctx.projects.createKey(other.id)).key;
    const empty = await t.request('/usage?days=3', { key, headers: bare });
    expect(empty.status).toBe(200);
    expect(empty.json).toMatchObject({ object: 'usage', storage_bytes: 0, media: 0, files: 0, tasks: {} });
    expect(empty.json.days).toHaveLength(3);
    const a = await t.request('/files', { key, method: 'POST', body: { url: png.url }, headers: bare });
    const b = await t.request('/files', { key, method: 'POST', body: { url: png.url }, headers: bare });
    expect(a.status).toBe(201);
    const task1 = await t.request('/tasks', {
      key,
      method: 'POST',
      body: { kind: 'image', file_id: a.json.id, format: 'webp' },
      headers: bare,
    });
    const task2 = await t.request('/tasks', {
      key,
      method: 'POST',
      body: { kind: 'image', file_id: b.json.id, format: 'webp' },
      headers: bare,
    });
    expect(task1.status, task1.text).toBe(201);
    const at = new Date().toISOString();
    await t.ctx.store.db
      .updateTable('tasks')
      .set({ status: 'completed', completed: at })
      .where('id', '=', task1.json.id)
      .execute();
    await t.ctx.store.db
      .updateTable('tasks')
      .set({ status: 'failed', completed: at })
      .where('id', '=', task2.json.id)
      .execute();
    const u = await t.request('/usage', { key, headers: bare });
    expect(u.json.storage_bytes).toBe(a.json.filesize + b.json.filesize);
    expect(u.json.media).toBe(2);
    expect(u.json.files).toBe(2);
    expect(u.json.tasks).toEqual({ completed: 1, failed: 1 });
    expect(u.json.days).toHaveLength(14);
    expect(u.json.days.at(-1)).toEqual({ date: at.slice(0, 10), created: 2, completed: 1, failed: 1 });
    expect(u.json.days[0]).toMatchObject({ created: 0, completed: 0, failed: 0 });
    // envelope for older versions
    const env = await t.request('/usage', { key });
    expect(env.json.data.object).toBe('usage');
  });
});

describe('sign-in throttling', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t?.close();
  });

  it('5 failures lock an account (429 with Retry-After) even for the right password', async () => {
    await browserFor(t, 'locked@example.com');
    for (let i = 0; i < 5; i++)
      expect((await signIn(t, 'locked@example.com', 'wrong password!')).status).toBe(401);
    const locked = await signIn(t, 'locked@example.com');
    expect(locked.status).toBe(429);
    expect(locked.json.kind).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    // another account from the same address is not locked by it
    await browserFor(t, 'free@example.com');
    expect((await signIn(t, 'free@example.com')).status).toBe(200);
  });

  it('20 failures from one address lock every account from it', async () => {
    await browserFor(t, 'free@example.com');
    for (let i = 0; i < 20; i++)
      expect((await signIn(t, `probe${i}@example.com`, 'wrong password!')).status).toBe(401);
    const locked = await signIn(t, 'free@example.com');
    expect(locked.status).toBe(429);
    expect(locked.json.kind).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });
});
