// The first owner's sign-in link on first start, and `mediary users …` as an operator runs them: every link
// printed works once against the running server.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

let dataDir: string;
const env = () => ({
  ...process.env,
  MEDIARY_DATA_DIR: dataDir,
  MEDIARY_LOG_LEVEL: 'warn',
  MEDIARY_ADMIN_EMAIL: 'Root@Example.com',
});

const { mediary, start, stop } = cli(env);

const LINK = /Sign in \(link valid 24 h, shown once\): (https:\/\/\S+\/app\/#\/accept\/([A-Za-z0-9_-]{43}))/;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mediary-accounts-cli-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('accounts from the command line', () => {
  it('first start prints the owner link; users create / reset-password / list print working links', async () => {
    const server = await start();
    try {
      const cert = await readFile(join(dataDir, 'tls', 'cert.pem'), 'utf8');
      const api = (path: string, opts: { method?: string; body?: unknown; cookie?: string } = {}) =>
        httpsRequest(`https://127.0.0.1:${server.apiPort}${path}`, cert, {
          method: opts.method,
          headers: {
            'accept-version': '2025-08-20',
            'content-type': 'application/json',
            ...(opts.cookie ? { cookie: `mediary_session=${opts.cookie}` } : {}),
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        });
      const acceptLink = async (token: string) => {
        const res = await api('/auth/accept', {
          method: 'POST',
          body: { token, password: 'a good long password' },
        });
        return { res, cookie: /mediary_session=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1] ?? '' };
      };

      const first = LINK.exec(server.output);
      expect(first, server.output).not.toBeNull();
      expect(server.output).toContain('root@example.com');
      expect(first?.[1]).toMatch(/^https:\/\/localhost:\d+\/app\/#\/accept\//);
      const owner = await acceptLink(first?.[2] ?? '');
      expect(owner.res.status).toBe(200);
      expect(owner.res.json.user).toMatchObject({ email: 'root@example.com', role: 'owner' });

      const created = await mediary('users', 'create', 'Ops@Example.com', '--role', 'member');
      expect(created).toContain('created member ops@example.com');
      const link = LINK.exec(created);
      expect(link).not.toBeNull();
      const ops = await acceptLink(link?.[2] ?? '');
      expect(ops.res.status).toBe(200);
      expect(ops.res.json.user.role).toBe('member');
      expect((await api('/media', { cookie: ops.cookie })).status).toBe(200);
      await expect(mediary('users', 'create', 'ops@example.com')).rejects.toThrow(/already exists/);

      const reset = await mediary('users', 'reset-password', 'ops@example.com');
      const again = LINK.exec(reset);
      expect(again).not.toBeNull();
      expect(again?.[2]).not.toBe(link?.[2]);
      // the reset ended the sessions and cleared the password
      expect((await api('/media', { cookie: ops.cookie })).status).toBe(401);
      expect(
        (
          await api('/auth/sign-in', {
            method: 'POST',
            body: { email: 'ops@example.com', password: 'a good long password' },
          })
        ).status,
      ).toBe(401);
      expect((await acceptLink(link?.[2] ?? '')).res.status).toBe(400);
      expect((await acceptLink(again?.[2] ?? '')).res.status).toBe(200);

      const list = JSON.parse(await mediary('users', 'list', '--json'));
      expect(
        list.map((u: { email: string; role: string; status: string }) => [u.email, u.role, u.status]),
      ).toEqual([
        ['root@example.com', 'owner', 'active'],
        ['ops@example.com', 'member', 'active'],
      ]);
      expect(await mediary('users', 'list')).toContain('ops@example.com');

      const keys = await mediary('keys', 'list');
      expect(keys).toMatch(/status/);
      expect(keys).toMatch(/active/);
    } finally {
      await stop(server);
    }
    // users exist now: a restart prints no link
    const second = await start();
    await stop(second);
    expect(second.output).not.toMatch(LINK);
  });
});
