// An owner makes a new one-time sign-in link for a user who lost theirs (POST /users/{id}/sign-in-link):
// the old password and sessions stop working, the link sets a new password; members cannot, nor for
// themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse } from '../helpers/app.js';

const bare = { 'accept-version': '2025-08-20' };
const PASSWORD = 'correct horse battery';

describe('a new sign-in link from an owner', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  const cookieOf = (res: TestResponse) =>
    /^mediary_session=([^;]*)/.exec(String(res.headers['set-cookie']))?.[1] ?? '';

  async function accept(token: string) {
    const res = await t.request('/auth/accept', {
      noAuth: true,
      method: 'POST',
      body: { token, password: PASSWORD },
      headers: bare,
    });
    expect(res.status, res.text).toBe(200);
    return { cookie: cookieOf(res), csrf: res.json.csrf_token as string, id: res.json.user.id as string };
  }

  const as = (b: { cookie: string; csrf: string }, path: string, method = 'GET') =>
    t.request(path, {
      noAuth: true,
      method,
      headers: { ...bare, cookie: `mediary_session=${b.cookie}`, origin: t.origin, 'x-csrf-token': b.csrf },
    });

  it('resets a member: old password and sessions end, the new link works once', async () => {
    const owner = await accept(
      (await t.ctx.accounts.createUser(undefined, 'own@example.com', 'owner')).token,
    );
    const member = await accept(
      (await t.ctx.accounts.createUser(undefined, 'mem@example.com', 'member')).token,
    );
    expect((await as(member, '/media')).status).toBe(200);

    const made = await as(owner, `/users/${member.id}/sign-in-link`, 'POST');
    expect(made.status, made.text).toBe(201);
    expect(made.json.status).toBe('invited');
    const token = String(made.json.sign_in_url).split('/accept/')[1];
    expect(token.length).toBeGreaterThan(20);

    expect((await as(member, '/media')).status).toBe(401);
    const old = await t.request('/auth/sign-in', {
      noAuth: true,
      method: 'POST',
      body: { email: 'mem@example.com', password: PASSWORD },
      headers: bare,
    });
    expect(old.status).toBe(401);
    const again = await accept(token);
    expect((await as(again, '/media')).status).toBe(200);
    const reused = await t.request('/auth/accept', {
      noAuth: true,
      method: 'POST',
      body: { token, password: PASSWORD },
      headers: bare,
    });
    expect(reused.status).toBe(400);

    // a member may not; an owner not for themselves
    expect((await as(again, `/users/${owner.id}/sign-in-link`, 'POST')).status).toBe(403);
    expect((await as(owner, `/users/${owner.id}/sign-in-link`, 'POST')).status).toBe(409);
    expect((await as(owner, '/users/usr_doesnotexist00000/sign-in-link', 'POST')).status).toBe(404);
  });
});
