// The library's less travelled paths in a real browser (headless chromium, no worker: tasks stay pending):
// a file dropped onto the drop zone (a DataTransfer built in the page), an upload cancelled while its bytes
// are on the way, a signed URL with a chosen expiry from the detail page, a media deleted from its page, a
// media's tasks and an automation's runs found past 100 newer tasks (GET /tasks?media_id, ?automation_id),
// the keyboard's way from the top to "Upload files" and the navigation, and the sign-in page's accessibility.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousA11yViolations } from '../helpers/axe.js';
import { startWebTestApp, until, type WebTestApp } from '../helpers/web.js';
import { makeClip, tempDir } from '../media/helpers.js';

const tmp = tempDir('mediary-web-library-');

/** Polls a check in the test. */
async function eventually(check: () => Promise<boolean>, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface WireMedia {
  id: string;
  files: { id: string; original?: boolean; filename?: string }[];
}

describe('library in a browser', () => {
  let w: WebTestApp;
  let page: Page;
  const pageErrors: string[] = [];
  const envelope = { 'accept-version': '2025-07-01' };
  let dropped: WireMedia;

  async function api(path: string, method = 'GET', body?: unknown) {
    const r = await w.t.request(path, { method, body, headers: envelope });
    return r;
  }

  async function mediaNamed(filename: string): Promise<WireMedia | undefined> {
    const r = await api('/media?limit=100');
    return (r.json.data as WireMedia[]).find((m) =>
      m.files.some((f) => f.original && f.filename === filename),
    );
  }

  /** A video uploaded with the API key (one PUT to the delivery host): a media with one file. */
  async function putClip(name: string): Promise<{ id: string; media_id: string }> {
    const r = await w.t.send(`/${w.t.projectId}/${name}`, {
      method: 'PUT',
      auth: true,
      body: readFileSync(tmp.path('clip.mp4')),
      headers: { 'content-type': 'video/mp4', 'accept-version': '2025-08-20' },
    });
    expect(r.status, r.text).toBe(201);
    return r.json;
  }

  beforeAll(async () => {
    makeClip(tmp.path('clip.mp4'), { size: '320x180', duration: 2 });
    w = await startWebTestApp({ worker: false });
    const { token } = await w.t.ctx.accounts.createUser(undefined, 'library@example.com', 'owner');
    const { context, page: p } = await w.newContext();
    page = p;
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const res = await context.request.post(`${w.t.origin}/auth/accept`, {
      data: { token, password: 'a long enough password' },
      headers: { origin: w.t.origin },
    });
    expect(res.status()).toBe(200);
    const session = (await res.json()).data ?? (await res.json());
    const r = await context.request.patch(`${w.t.origin}/auth/session`, {
      data: { project_id: w.t.projectId },
      headers: { origin: w.t.origin, 'x-csrf-token': session.csrf_token },
    });
    expect(r.status(), await r.text()).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    tmp.cleanup();
  });

  it('uploads a file dropped onto the drop zone', async () => {
    await page.goto(`${w.t.origin}/app/#/media`);
    await page.getByText('No media yet', { exact: false }).waitFor({ timeout: 20_000 });
    const zone = page.locator('[data-testid="dropzone"]');
    const data = await page.evaluateHandle(
      ({ b64, name }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, { type: 'video/mp4' }));
        return dt;
      },
      { b64: readFileSync(tmp.path('clip.mp4')).toString('base64'), name: 'dropped.mp4' },
    );
    await zone.dispatchEvent('dragenter', { dataTransfer: data });
    await zone.dispatchEvent('dragover', { dataTransfer: data });
    expect(await zone.getAttribute('class')).toContain('over');
    await zone.dispatchEvent('drop', { dataTransfer: data });
    expect(await zone.getAttribute('class')).not.toContain('over');
    const row = page.locator('[data-testid="upload-row"]').filter({ hasText: 'dropped.mp4' });
    await row.waitFor({ timeout: 5_000 });
    await page
      .locator('[data-testid="upload-row"][data-status="done"]')
      .filter({ hasText: 'dropped.mp4' })
      .waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="media-card"]').filter({ hasText: 'dropped.mp4' }).waitFor();
    const m = await mediaNamed('dropped.mp4');
    if (!m) throw new Error('the dropped file made no media');
    dropped = m;
  }, 40_000);

  it('cancels an upload in progress: its row goes and no media is made', async () => {
    const before = (await api('/media?limit=1')).json.meta.total as number;
    // hold every chunk on its way, so the upload is surely in progress when it is cancelled
    const held: Route[] = [];
    const hold = (route: Route) => {
      if (route.request().method() === 'PATCH') held.push(route);
      else void route.continue().catch(() => {});
    };
    await page.route('**/tus/**', hold);
    try {
      await page.locator('[data-testid="upload-input"]').setInputFiles({
        name: 'big.mp4',
        mimeType: 'video/mp4',
        buffer: randomBytes(20 * 1024 * 1024),
      });
      const row = page.locator('[data-testid="upload-row"]').filter({ hasText: 'big.mp4' });
      await row.waitFor({ timeout: 5_000 });
      await eventually(async () => held.length > 0);
      expect(await row.getAttribute('data-status')).toBe('uploading');
      await page.getByRole('button', { name: 'Cancel big.mp4' }).click();
      await row.waitFor({ state: 'detached', timeout: 5_000 });
    } finally {
      for (const r of held) await r.continue().catch(() => {});
      await page.unroute('**/tus/**', hold);
    }
    await page.waitForTimeout(1500);
    expect(await page.locator('[data-testid="upload-row"]').filter({ hasText: 'big.mp4' }).count()).toBe(0);
    expect((await api('/media?limit=1')).json.meta.total).toBe(before);
    expect(await mediaNamed('big.mp4')).toBeUndefined();
    const files = await api('/files?limit=100');
    expect((files.json.data as { filename?: string }[]).some((f) => f.filename === 'big.mp4')).toBe(false);
  }, 40_000);

  it('signs a URL with the chosen expiry on the detail page; it answers 200 and is copied', async () => {
    await page.goto(`${w.t.origin}/app/#/media/${dropped.id}`);
    const item = page.locator('[data-testid="file-item"]').first();
    await item.waitFor({ timeout: 10_000 });
    await item.getByLabel(/Signed URL expiry/).selectOption(String(24 * 3600));
    const asked = Math.floor(Date.now() / 1000);
    await item.locator('[data-testid="sign-url"]').click();
    const shown = item.locator('[data-testid="signed-url"]');
    await shown.waitFor({ timeout: 5_000 });
    const url = (await shown.textContent()) ?? '';
    const u = new URL(url);
    const expiry = Number(u.searchParams.get('expiry'));
    expect(expiry).toBeGreaterThanOrEqual(asked + 24 * 3600 - 5);
    expect(expiry).toBeLessThanOrEqual(asked + 24 * 3600 + 60);
    expect(u.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(u.searchParams.get('method')).toBe('get');
    const got = await w.t.send(url);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toContain('video/mp4');
    await item.getByRole('button', { name: 'Copy signed URL' }).click();
    await eventually(async () => (await page.evaluate(() => navigator.clipboard.readText())) === url);
  }, 30_000);

  it("lists a media's tasks on its page when 100 newer tasks are on another media", async () => {
    const input = dropped.files.find((f) => f.original)?.id;
    const mine = await api('/tasks', 'POST', { kind: 'image', file_id: input, width: 64 });
    expect(mine.status, mine.text).toBe(201);
    const other = await putClip('other.mp4');
    const others = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () =>
          api('/tasks', 'POST', { kind: 'image', file_id: other.id, width: 32 }),
        ),
      );
      for (const r of batch) {
        expect(r.status, r.text).toBe(201);
        others.add(r.json.data.id);
      }
    }
    await page.goto(`${w.t.origin}/app/#/media/${dropped.id}`);
    await page
      .locator(`[data-testid="media-tasks"] [data-task-id="${mine.json.data.id}"]`)
      .waitFor({ timeout: 10_000 });
    const shown = await page
      .locator('[data-testid="media-tasks"] [data-testid="task-row"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task-id')));
    expect(shown.filter((id) => id && others.has(id))).toEqual([]);
  }, 40_000);

  it("shows an automation's runs and their count when 100 newer workflow tasks are not its own", async () => {
    const created = await api('/automations', 'POST', {
      name: 'poster run',
      trigger: { kind: 'event', event: 'media.created' },
      workflow: [{ kind: 'image', width: 32 }],
    });
    expect(created.status, created.text).toBe(201);
    const auto = created.json.data.id as string;
    await putClip('triggers.mp4');
    const paused = await api(`/automations/${auto}`, 'PATCH', { status: 'paused' });
    expect(paused.status, paused.text).toBe(200);
    const workflows = await api('/tasks?kind=workflow&limit=100');
    const runs = (workflows.json.data as { id: string; created_by?: string }[]).filter(
      (x) => x.created_by === auto,
    );
    expect(runs).toHaveLength(1);
    const other = (await mediaNamed('other.mp4'))?.files.find((f) => f.original)?.id;
    for (let i = 0; i < 10; i++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () =>
          api('/tasks', 'POST', {
            kind: 'workflow',
            file_id: other,
            workflow: [{ kind: 'image', width: 16 }],
          }),
        ),
      );
      for (const r of batch) expect(r.status, r.text).toBe(201);
    }
    await page.goto(`${w.t.origin}/app/#/automations`);
    const row = page.locator('tr').filter({ hasText: 'poster run' });
    await row.waitFor({ timeout: 10_000 });
    await until(page, () =>
      [...document.querySelectorAll('[data-testid="automation-runs"]')].some((c) => c.textContent === '1'),
    );
    expect(await row.locator('[data-testid="automation-runs"]').textContent()).toBe('1');
    await page.goto(`${w.t.origin}/app/#/automations/${auto}`);
    await page.locator(`[data-testid="run-row"][data-task-id="${runs[0].id}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="run-row"]').count()).toBe(1);
  }, 40_000);

  it('deletes a media from its page: confirm, back to the library, and it is gone', async () => {
    const made = await api('/media', 'POST', { title: 'delete me' });
    expect(made.status).toBe(201);
    const id = made.json.data.id as string;
    await page.goto(`${w.t.origin}/app/#/media/${id}`);
    await page.locator('h1').filter({ hasText: 'delete me' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid="media-delete"]').click();
    await page.getByRole('dialog').waitFor();
    await page.locator('[data-testid="media-delete-confirm"]').click();
    await until(page, () => location.hash === '#/media');
    await page.locator('[data-testid="media-grid"]').waitFor({ timeout: 10_000 });
    expect(await page.locator(`[data-testid="media-card"][data-id="${id}"]`).count()).toBe(0);
    expect((await api(`/media/${id}`)).status).toBe(404);
  }, 30_000);

  it('reaches the navigation and "Upload files" by Tab from the top, with a visible focus', async () => {
    await page.goto(`${w.t.origin}/app/#/media`);
    await page.reload();
    await page.locator('[data-testid="media-grid"]').waitFor({ timeout: 10_000 });
    const seen: string[] = [];
    let uploadOutline = '';
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const at = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return { name: '', outline: '' };
        const label = el.closest('label');
        const name =
          el.tagName === 'INPUT' && (el as HTMLInputElement).type === 'file'
            ? `file:${label?.textContent?.trim() ?? ''}`
            : `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.textContent?.trim() ?? ''}`;
        const ring = label ? getComputedStyle(label) : getComputedStyle(el);
        return { name, outline: `${ring.outlineStyle} ${ring.outlineWidth}` };
      });
      seen.push(at.name);
      if (at.name.startsWith('file:Upload files')) {
        uploadOutline = at.outline;
        break;
      }
    }
    for (const link of ['a:Media', 'a:Tasks', 'a:Automations', 'a:Webhooks', 'a:API keys', 'a:Settings']) {
      expect(seen, `Tab never reached ${link}`).toContain(link);
    }
    expect(seen.at(-1), `Tab never reached "Upload files": ${seen.join(' → ')}`).toMatch(
      /^file:Upload files/,
    );
    // the nav comes before the page's own controls
    expect(seen.indexOf('a:Media')).toBeLessThan(seen.length - 1);
    expect(uploadOutline).not.toMatch(/^none/);
    expect(uploadOutline).not.toMatch(/ 0px$/);
  }, 30_000);

  it('has no serious accessibility violations on the sign-in page', async () => {
    const { page: anon } = await w.newContext();
    await anon.goto(`${w.t.origin}/app/`);
    await anon.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    expect(await seriousA11yViolations(anon)).toEqual([]);
    // and after a failed attempt, with its error shown
    await anon.getByLabel('Email').fill('nobody@example.com');
    await anon.getByLabel('Password').fill('not the password');
    await anon.getByRole('button', { name: 'Sign in' }).click();
    await anon.getByRole('alert').first().waitFor({ timeout: 5_000 });
    expect(await seriousA11yViolations(anon)).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
