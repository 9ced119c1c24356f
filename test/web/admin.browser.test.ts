// The admin pages in a real browser (headless chromium): an API key shown once, used and revoked; an
// automation's validation error shown inline; a webhook delivery replayed; a member kept out of Users; usage.
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { startWebTestApp, type WebTestApp } from '../helpers/web.js';

const PASSWORD = 'correct horse battery';

describe('admin pages in a browser', () => {
  let w: WebTestApp;
  let owner: Page;
  let receiver: Server;
  let received = 0;
  let receiverUrl = '';

  /** A user with a password, made through the accounts service. */
  async function makeUser(email: string, role: 'owner' | 'member') {
    const { token } = await w.t.ctx.accounts.createUser(undefined, email, role);
    await w.t.ctx.accounts.accept(token, PASSWORD);
  }

  async function signIn(page: Page, email: string) {
    await page.goto(`${w.t.origin}/app/#/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // the signed-in shell (the sign-in page has a <main> too)
    await page.locator('header.topbar').waitFor();
  }

  async function go(page: Page, hash: string) {
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
  }

  /** GET /media with a bearer key from inside the page, without the session cookie. */
  function fetchWithKey(page: Page, key: string) {
    return page.evaluate(
      async (k) =>
        (await fetch('/media', { credentials: 'omit', headers: { authorization: `Bearer ${k}` } })).status,
      key,
    );
  }

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const addr = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;

    w = await startWebTestApp({ worker: false });
    w.t.ctx.startWebhookDispatcher();
    await makeUser('owner@example.com', 'owner');
    await makeUser('member@example.com', 'member');
    owner = (await w.newContext()).page;
    await signIn(owner, 'owner@example.com');
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it('creates a key, shows its secret once, the key works from the page, and revoked it gets 401', async () => {
    await go(owner, '/keys');
    await owner.getByTestId('key-name').fill('browser test');
    await owner.getByTestId('key-create').click();
    const secretEl = owner.getByTestId('key-secret');
    await secretEl.waitFor();
    const secret = (await secretEl.textContent())?.trim() ?? '';
    expect(secret).toMatch(/^mediary_/);
    await owner.getByText("you won't see it again").waitFor();
    await owner.getByRole('button', { name: 'Done' }).click();
    await secretEl.waitFor({ state: 'detached' });

    const row = owner.locator('tr', { hasText: 'browser test' });
    await row.waitFor();
    expect(await fetchWithKey(owner, secret)).toBe(200);

    await row.getByTestId('key-revoke').click();
    await owner.getByTestId('confirm').click();
    await row.getByText('revoked', { exact: true }).waitFor();
    expect(await fetchWithKey(owner, secret)).toBe(401);
    // the secret is nowhere on the page any more
    expect(await owner.content()).not.toContain(secret);
  });

  it('rolls a key with a grace period: both secrets work, the old one shows as expiring', async () => {
    await go(owner, '/keys');
    await owner.getByTestId('key-name').fill('to roll');
    await owner.getByTestId('key-create').click();
    const oldSecret = (await owner.getByTestId('key-secret').textContent())?.trim() ?? '';
    await owner.getByRole('button', { name: 'Done' }).click();
    const row = owner.locator('tr', { hasText: 'to roll' }).first();
    await row.getByRole('button', { name: /^Roll/ }).click();
    await owner.getByLabel('Old key keeps working for').selectOption('3600');
    await owner.getByRole('button', { name: 'Roll key' }).click();
    const newSecret = (await owner.getByTestId('key-secret').textContent())?.trim() ?? '';
    expect(newSecret).toMatch(/^mediary_/);
    expect(newSecret).not.toBe(oldSecret);
    await owner.getByRole('button', { name: 'Done' }).click();
    await owner.locator('tr', { hasText: 'to roll' }).getByText('expiring', { exact: true }).waitFor();
    expect(await fetchWithKey(owner, oldSecret)).toBe(200);
    expect(await fetchWithKey(owner, newSecret)).toBe(200);
  });

  it('invites a user (one-time link shown) and switches project', async () => {
    await go(owner, '/users');
    await owner.getByLabel('Email').fill('invited@example.com');
    await owner.getByRole('button', { name: 'Invite' }).click();
    const url = (await owner.getByTestId('invite-url').textContent()) ?? '';
    expect(url).toContain('/app/#/accept/');
    await owner.getByRole('button', { name: 'Done' }).click();
    await owner
      .locator('tr', { hasText: 'invited@example.com' })
      .getByText('invited', { exact: true })
      .waitFor();

    await go(owner, '/projects');
    const first = (await owner.locator('select[aria-label="Project"] option:checked').textContent()) ?? '';
    await owner.getByLabel('Name', { exact: true }).fill('staging');
    await owner.getByRole('button', { name: 'Create project' }).click();
    await owner.getByRole('button', { name: 'Switch to staging' }).click();
    await owner.locator('tr', { hasText: 'staging' }).getByText('selected', { exact: true }).waitFor();
    expect(await owner.locator('select[aria-label="Project"] option:checked').textContent()).toBe('staging');
    // back to the first project for the next tests
    await owner.getByRole('button', { name: `Switch to ${first}` }).click();
    await owner.getByRole('button', { name: 'Switch to staging' }).waitFor();
    expect(await owner.locator('select[aria-label="Project"] option:checked').textContent()).toBe(first);
  });

  it('shows the API validation error next to the step (form) and under the editor (JSON)', async () => {
    await go(owner, '/automations/new');
    await owner.getByTestId('automation-name').fill('bad width');
    await owner.getByTestId('step-0-width').fill('-5');
    await owner.getByTestId('automation-save').click();
    const stepError = owner.getByTestId('step-0').getByRole('alert');
    await stepError.waitFor();
    expect(await stepError.textContent()).toContain('workflow[0].width');

    await owner.getByRole('tab', { name: 'JSON' }).click();
    const json = JSON.stringify({
      name: 'bad json',
      trigger: { kind: 'event', event: 'media.created' },
      workflow: [{ kind: 'image', format: 'webp', next: [{ kind: 'video', width: 'wide' }] }],
    });
    await owner.getByTestId('automation-json').fill(json);
    await owner.getByTestId('automation-save').click();
    const err = owner.getByTestId('automation-error');
    await err.waitFor();
    expect(await err.textContent()).toContain('workflow[0].next[0].width');
  });

  it('replays a webhook delivery and the row updates', async () => {
    const ep = await w.t.request('/webhooks/endpoints', { method: 'POST', body: { url: receiverUrl } });
    expect(ep.status).toBe(201);
    const media = await w.t.request('/media', { method: 'POST', body: { title: 'x' } });
    expect(media.status).toBeLessThan(300);
    const patched = await w.t.request(`/media/${media.json.data.id}`, {
      method: 'PATCH',
      body: { title: 'y' },
    });
    expect(patched.status).toBe(200);
    // the first send goes out by itself
    const deadline = Date.now() + 15_000;
    let first: { id: string; attempt_count: number } | undefined;
    while (Date.now() < deadline) {
      const list = await w.t.request(`/webhooks/deliveries?endpoint_id=${ep.json.data.id}`);
      first = list.json?.data?.[0];
      if (first && first.attempt_count > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(first?.attempt_count).toBeGreaterThan(0);
    const before = received;

    await go(owner, '/webhooks');
    const row = owner.locator(`tr[data-delivery-id="${first?.id}"]`);
    await row.waitFor();
    const attempts = Number(await row.getByTestId('delivery-attempts').textContent());
    await row.getByTestId('delivery-replay').click();
    // (waitForFunction evaluates a string, which the page's CSP refuses: poll from here)
    const until = Date.now() + 15_000;
    let now = attempts;
    while (now <= attempts && Date.now() < until) {
      await owner.waitForTimeout(200);
      now = Number(await row.getByTestId('delivery-attempts').textContent());
    }
    expect(now).toBeGreaterThan(attempts);
    expect(received).toBeGreaterThan(before);

    // open it: its attempts and payload
    await row.getByRole('button', { name: /^Open/ }).click();
    const detail = owner.getByTestId('delivery-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('Payload');
    await detail.getByRole('button', { name: 'Close' }).click();
  });

  it('settings show usage, with a table for the chart', async () => {
    await go(owner, '/settings');
    const usage = owner.getByTestId('usage');
    await usage.getByTestId('usage-storage').waitFor();
    expect(await usage.getByTestId('usage-media').textContent()).toMatch(/^\d+$/);
    expect(await usage.locator('table tbody tr').count()).toBe(14);
  });

  it('the admin pages have no serious accessibility violations', async () => {
    const found: Record<string, unknown> = {};
    for (const hash of [
      '/keys',
      '/projects',
      '/users',
      '/settings',
      '/webhooks',
      '/automations',
      '/automations/new',
    ]) {
      await go(owner, hash);
      await owner.locator('main h1').waitFor();
      await owner
        .locator('.loading')
        .first()
        .waitFor({ state: 'detached' })
        .catch(() => {});
      const v = await seriousA11yViolations(owner);
      if (v.length) found[hash] = v;
    }
    expect(found).toEqual({});
  }, 60_000);

  it('a member sees no Users page and gets 403 on /users', async () => {
    const { page } = await w.newContext({ width: 360, height: 740 });
    await signIn(page, 'member@example.com');
    await page.getByRole('button', { name: 'Menu' }).click();
    const nav = page.locator('nav#nav');
    await nav.getByRole('link', { name: 'API keys' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await go(page, '/users');
    await page.getByTestId('owners-only').waitFor();
    const status = await page.evaluate(
      async () => (await fetch('/users', { headers: { 'accept-version': '2025-07-01' } })).status,
    );
    expect(status).toBe(403);
    // the page fits 360 px: nothing scrolls sideways
    await go(page, '/keys');
    await page.getByTestId('key-create').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
