// `npm run screenshots`: the dashboard's main pages in headless chromium, saved to docs/screenshots/ for the
// README. Starts a throwaway mediary (temp data dir, worker on), fills it with a little real media, tasks, a
// key, an automation and a webhook endpoint, then photographs each page (desktop light, one dark, one 360 px).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebTestApp } from '../test/helpers/web.js';
import { tempDir } from '../test/media/helpers.js';

const OUT = resolve(import.meta.dirname, '../docs/screenshots');
mkdirSync(OUT, { recursive: true });
const tmp = tempDir('mediary-shots-');

async function settle(page: Page, selector: string): Promise<void> {
  await page.locator(selector).first().waitFor({ timeout: 30_000 });
  await page.waitForTimeout(600);
}

async function waitTasks(request: (p: string) => Promise<{ json: { data: { status: string }[] } }>) {
  for (let i = 0; i < 300; i++) {
    const r = await request('/tasks?limit=100');
    if (r.json.data.every((t) => !['pending', 'waiting', 'processing'].includes(t.status))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const w = await startWebTestApp();
const receiver = createServer((_req, res) => res.writeHead(200).end('ok'));
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
try {
  const { t } = w;
  // webhook deliveries go out as on a real server (the test harness leaves the dispatcher off)
  t.ctx.startWebhookDispatcher();
  const rAddr = receiver.address();
  const hook = `http://127.0.0.1:${typeof rAddr === 'object' && rAddr ? rAddr.port : 0}/hooks`;
  await t.request('/webhooks/endpoints', {
    method: 'POST',
    body: { url: hook, description: 'my app', topics: ['task.completed', 'task.failed', 'media.created'] },
  });
  await t.request('/automations', {
    method: 'POST',
    body: {
      name: 'Web versions of every video',
      trigger: { kind: 'event', event: 'media.created' },
      workflow: [
        {
          kind: 'conditions',
          conditions: [{ prop: 'kind', operator: 'eq', value: 'video' }],
          next: [{ kind: 'video', height: 360, speed: 'fastest' }],
        },
      ],
    },
  });

  // media: a few clips and images of different looks, uploaded like any client would
  const clips = [
    { name: 'launch-party.mp4', src: 'testsrc2', size: '640x360', duration: 6 },
    { name: 'product-demo.mp4', src: 'smptehdbars', size: '640x360', duration: 4 },
    { name: 'interview.mp4', src: 'mandelbrot', size: '480x360', duration: 4 },
  ];
  for (const c of clips) {
    const file = tmp.path(c.name);
    spawnSync('ffmpeg', [
      ...['-y', '-v', 'error', '-f', 'lavfi', '-i', `${c.src}=size=${c.size}:rate=25`],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-t', String(c.duration), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file],
    ]);
    await t.send(`/${t.projectId}/videos/${c.name}`, {
      method: 'PUT',
      auth: true,
      body: await readFile(file),
    });
  }
  for (const [name, filter] of [
    ['mountains.png', 'gradients=s=1200x800:c0=0x1e3a8a:c1=0xf59e0b'],
    ['ocean.png', 'gradients=s=1200x800:c0=0x0e7490:c1=0x99f6e4'],
    ['city-night.png', 'cellauto=s=1200x800:rule=110'],
  ] as const) {
    const file = tmp.path(name);
    spawnSync('ffmpeg', ['-y', '-v', 'error', '-f', 'lavfi', '-i', filter, '-frames:v', '1', file]);
    await t.send(`/${t.projectId}/photos/${name}`, { method: 'PUT', auth: true, body: await readFile(file) });
  }
  await t.request('/tasks', {
    method: 'POST',
    body: { kind: 'video', url: 'http://127.0.0.1:9/missing.mp4' },
  });
  await waitTasks((p) => t.request(p));
  await t.request('/keys', { method: 'POST', body: { name: 'website' } });
  await t.request('/keys', { method: 'POST', body: { name: 'ci' } });
  await t.ctx.accounts.createUser(undefined, 'sam@example.com', 'member');

  const { token } = await t.ctx.accounts.createUser(undefined, 'you@example.com', 'owner');
  const first = await w.newContext();
  await first.context.request.post(`${t.origin}/auth/accept`, {
    data: { token, password: 'screenshots password' },
    headers: { origin: t.origin },
  });
  await first.context.close();
  const shoot = async (
    name: string,
    hash: string,
    selector: string,
    opts: { width?: number; height?: number; colorScheme?: 'light' | 'dark' } = {},
  ) => {
    const { context, page } = await w.newContext(opts);
    if (hash !== 'sign-in') {
      const res = await context.request.post(`${t.origin}/auth/sign-in`, {
        data: { email: 'you@example.com', password: 'screenshots password' },
        headers: { origin: t.origin },
      });
      if (!res.ok()) throw new Error(`sign-in: ${res.status()} ${await res.text()}`);
    }
    await page.goto(`${t.origin}/app/${hash === 'sign-in' ? '' : hash}`);
    await settle(page, selector);
    await page.screenshot({ path: resolve(OUT, `${name}.png`) });
    await context.close();
    process.stdout.write(`docs/screenshots/${name}.png\n`);
  };

  const firstVideo = (await t.request('/media?kind=video&limit=1')).json.data[0]?.id as string | undefined;
  await shoot('media', '#/media', '[data-poster="yes"] img');
  await shoot('sign-in', 'sign-in', 'input[type="password"]');
  if (firstVideo) await shoot('media-detail', `#/media/${firstVideo}`, '[data-testid="video"]');
  await shoot('tasks', '#/tasks', '[data-testid="task-row"]');
  await shoot('keys', '#/keys', '[data-testid="keys-table"]');
  await shoot('automations', '#/automations', 'main h1');
  await shoot('webhooks', '#/webhooks', 'main h1');
  await shoot('settings', '#/settings', '.chart, main table');
  await shoot('users', '#/users', 'main table');
  await shoot('media-dark', '#/media', '[data-poster="yes"] img', { colorScheme: 'dark' });
  await shoot('media-360', '#/media', '[data-poster="yes"] img', { width: 360, height: 740 });
} finally {
  receiver.close();
  await w.close();
  tmp.cleanup();
}
