// Webhook receivers on 127.0.0.1 (HTTP, and HTTPS with a self-signed certificate) and a context builder
// whose webhook clock the test controls.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { type AppContext, createContext } from '../../src/app-context.js';
import { type Config, loadConfig } from '../../src/config.js';
import { WebhooksService } from '../../src/services/webhooks.service.js';
import { type DispatcherOptions, WebhookDispatcher } from '../../src/worker/webhook-dispatcher.js';

export interface Received {
  method: string;
  /** path and query string as received */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A status code to answer with, or 'hang' to never answer. */
export type Responder = (r: Received, n: number) => number | 'hang' | Promise<number | 'hang'>;

export interface Receiver {
  origin: string;
  received: Received[];
  respond: Responder;
  /** PEM of the self-signed certificate (HTTPS receivers) */
  ca?: string;
  /** resolves when `count` requests have arrived */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(
  kind: 'http' | 'https',
  respond: Responder = () => 200,
): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let ca: string | undefined;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
      const answer = await receiver.respond(r, received.length);
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  };
  let server: http.Server | https.Server;
  if (kind === 'https') {
    // selfsigned's default SAN for "localhost" includes IP 127.0.0.1
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
    });
    ca = pems.cert;
    server = https.createServer({ key: pems.private, cert: pems.cert }, handler);
  } else {
    server = http.createServer(handler);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    origin: `${kind}://127.0.0.1:${port}`,
    received,
    respond,
    ca,
    waitFor(count, timeoutMs = 10_000) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${received.length} of ${count} webhook requests arrived`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}

export interface TestDispatcherOptions extends DispatcherOptions {
  random?: () => number;
  ca?: string | Buffer;
}

export interface WebhookEnv {
  ctx: AppContext;
  config: Config;
  dataDir: string;
  projectId: string;
  /** the service with the test's clock; enqueue through it */
  webhooks: WebhooksService;
  /** move the clock (ms since epoch) */
  clock: { now: number };
  dispatcher(opts?: TestDispatcherOptions): WebhookDispatcher;
  close(): Promise<void>;
}

export async function webhookEnv(
  opts: { env?: Record<string, string>; dataDir?: string; keepDataDir?: boolean } = {},
): Promise<WebhookEnv> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'mediary-wh-')));
  const config = loadConfig({
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_ALLOW_PRIVATE_URLS: 'true',
    MEDIARY_LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const ctx = await createContext(config);
  await ctx.projects.bootstrap(config.initialApiKey);
  const project = (await ctx.projects.listProjects()).find((p) => p.name === 'development')!;
  const clock = { now: Date.now() };
  const deps = {
    repo: ctx.webhooks.repo,
    signals: ctx.signals,
    projects: ctx.projects,
    box: ctx.box,
    config,
  };
  const webhooks = new WebhooksService(deps, { clock: () => clock.now });
  const dispatchers: WebhookDispatcher[] = [];
  return {
    ctx,
    config,
    dataDir,
    projectId: project.id,
    webhooks,
    clock,
    dispatcher(o = {}) {
      // the sending options (jitter, a test CA) are the service's; the dispatcher only decides when
      const sender = new WebhooksService(deps, {
        clock: () => clock.now,
        random: o.random ?? (() => 0.5),
        ca: o.ca,
      });
      const d = new WebhookDispatcher({ webhooks: sender, config }, o);
      dispatchers.push(d);
      return d;
    },
    async close() {
      for (const d of dispatchers) await d.stop();
      await ctx.close();
      if (!opts.keepDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The delivery row and its attempts, straight from the store. */
export async function deliveryState(ctx: AppContext, id: string) {
  const delivery = await ctx.store.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const attempts = await ctx.webhooks.repo.attemptsOf([id]);
  return { delivery, attempts };
}
