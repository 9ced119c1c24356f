// Sends due webhook deliveries from the outbox: claims rows with a lease, signs each attempt (Standard
// Webhooks), POSTs under the same SSRF rules as URL ingest (resolve once, refuse non-public addresses unless
// allowed, connect only to the vetted addresses, never follow redirects), records the attempt and schedules
// the retry. Wakes on an in-process signal or PostgreSQL NOTIFY; polling is the fallback.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { describeNetError, FetchError, vetForRequest } from '../net/safe-fetch.js';
import type { WebhookHeaders } from '../services/webhook-signature.js';
import { webhookHeaders } from '../services/webhook-signature.js';
import {
  isPermanentUrlError,
  leaseToken,
  nextAttemptAt,
  type WebhooksService,
} from '../services/webhooks.service.js';
import type { Store } from '../store/db.js';
import type { DeliveryRow, FinishPatch } from '../store/webhooks.repository.js';

export interface DispatcherLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DispatcherOptions {
  /** deliveries in flight at once per dispatcher */
  concurrency?: number;
  /** longest sleep between looks at the outbox when nothing wakes the dispatcher */
  pollMs?: number;
  /** how long a claim is held; must outlast one attempt (the timeout) by a wide margin */
  leaseMs?: number;
  /** jitter source, [0, 1) */
  random?: () => number;
  /**
   * TEST-ONLY: extra CA certificates to trust for HTTPS receivers (a self-signed test server). Certificate
   * verification itself is never turned off.
   */
  ca?: string | Buffer;
  log?: DispatcherLog;
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  /** true when retrying cannot help (the URL is invalid or forbidden) */
  permanent: boolean;
}

const USER_AGENT = 'mediary-webhooks';
/** a receiver that keeps streaming a response body after its status line is cut off after this */
const DRAIN_MS = 2_000;

const consoleLog: DispatcherLog = {
  warn: (obj, msg) => console.warn(`[webhooks] ${msg}`, obj),
  error: (obj, msg) => console.error(`[webhooks] ${msg}`, obj),
};

export class WebhookDispatcher {
  private readonly webhooks: WebhooksService;
  private readonly store: Store;
  private readonly config: Config;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly random: () => number;
  private readonly log: DispatcherLog;
  private readonly ca?: string | Buffer;

  private running = false;
  private loop?: Promise<void>;
  private poked = false;
  private wakeSleep?: () => void;
  private unsubscribe?: () => void;
  private listener?: pg.PoolClient;
  private nextListenTry = 0;

  constructor(
    deps: { webhooks: WebhooksService; store: Store; config: Config },
    opts: DispatcherOptions = {},
  ) {
    this.webhooks = deps.webhooks;
    this.store = deps.store;
    this.config = deps.config;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.pollMs = opts.pollMs ?? 5_000;
    this.leaseMs = opts.leaseMs ?? deps.config.webhooks.timeoutMs + DRAIN_MS + 60_000;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? consoleLog;
    this.ca = opts.ca;
  }

  private now(): number {
    return this.webhooks.now();
  }

  /** Delivers everything that is due now (including retries made due by the clock); resolves when none is
   * left in flight or due. Returns the number of attempts made. */
  runUntilIdle(): Promise<number> {
    return this.drain(false);
  }

  /** `forLoop`: the background loop's pass, which claims nothing new once stop() was called (deliveries
   * in flight finish). */
  private async drain(forLoop: boolean): Promise<number> {
    let attempts = 0;
    const inflight = new Set<Promise<void>>();
    for (;;) {
      const free = this.concurrency - inflight.size;
      const rows = free > 0 && !(forLoop && !this.running) ? await this.claim(free) : [];
      for (const row of rows) {
        const p: Promise<void> = this.deliver(row).finally(() => inflight.delete(p));
        inflight.add(p);
        attempts++;
      }
      if (inflight.size === 0 && rows.length === 0) return attempts;
      if (rows.length === 0 || inflight.size >= this.concurrency) await Promise.race(inflight);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.webhooks.onEnqueue(() => this.poke());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.poke();
    await this.loop;
    await this.unlisten();
  }

  private poke(): void {
    this.poked = true;
    this.wakeSleep?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.poked = false;
      await this.listen();
      try {
        await this.drain(true);
      } catch (err) {
        this.log.error({ err }, 'webhook dispatch pass failed');
      }
      if (!this.running) break;
      let delay = this.pollMs;
      try {
        const due = await this.webhooks.repo.nextDue();
        if (due !== null) delay = Math.min(delay, Math.max(0, Date.parse(due) - this.now()));
      } catch (err) {
        this.log.error({ err }, 'could not read the next webhook due time');
      }
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.poked || !this.running) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        this.wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleep = done;
    });
  }

  /** LISTEN on a dedicated pooled client, so other processes' commits wake this one. */
  private async listen(): Promise<void> {
    const pool = this.store.pgPool;
    if (!pool || this.listener || Date.now() < this.nextListenTry) return;
    this.nextListenTry = Date.now() + this.pollMs;
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      const c = client;
      c.on('notification', (msg) => {
        if (msg.channel === this.webhooks.channel) this.poke();
      });
      c.on('error', (err) => {
        this.log.warn({ err }, 'webhook LISTEN connection lost; polling until it is back');
        if (this.listener === c) this.listener = undefined;
        c.release(err);
      });
      await c.query(`LISTEN "${this.webhooks.channel}"`);
      this.listener = c;
    } catch (err) {
      client?.release(err as Error);
      this.log.warn({ err }, 'webhook LISTEN failed; polling instead');
    }
  }

  private async unlisten(): Promise<void> {
    const c = this.listener;
    this.listener = undefined;
    if (!c) return;
    try {
      await c.query('UNLISTEN *');
      c.release();
    } catch (err) {
      c.release(err as Error);
    }
  }

  private async claim(limit: number): Promise<{ row: DeliveryRow; owner: string }[]> {
    const now = this.now();
    const owner = leaseToken();
    const rows = await this.webhooks.repo.claimDue(
      new Date(now).toISOString(),
      new Date(now + this.leaseMs).toISOString(),
      owner,
      limit,
    );
    return rows.map((row) => ({ row, owner }));
  }

  private async deliver({ row, owner }: { row: DeliveryRow; owner: string }): Promise<void> {
    const attempt = row.attempts + 1;
    const startedMs = this.now();
    const t0 = performance.now();
    let outcome: AttemptOutcome;
    try {
      const secret = await this.webhooks.signingSecret(row.project_id);
      // re-signed per attempt: the timestamp is the attempt's, the id stays the delivery's (receivers dedupe on it)
      const headers = webhookHeaders(secret, row.id, Math.floor(startedMs / 1000), row.payload);
      outcome = await this.send(row.url, headers, row.payload);
    } catch (err) {
      const gone = err instanceof AppError && err.code === 'not_found';
      outcome = {
        statusCode: null,
        error: gone ? 'the project no longer exists' : 'internal error while sending',
        permanent: gone,
      };
      if (!gone) this.log.error({ err, delivery: row.id }, 'webhook attempt failed internally');
    }
    const durationMs = Math.max(0, Math.round(performance.now() - t0));
    const endMs = this.now();
    const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode <= 299;
    const next =
      ok || outcome.permanent
        ? null
        : nextAttemptAt(
            Date.parse(row.created),
            attempt,
            endMs,
            this.config.webhooks.retryHours * 3_600_000,
            this.random,
          );
    const patch: FinishPatch = {
      status: ok ? 'succeeded' : next === null ? 'failed' : 'pending',
      attempts: attempt,
      next_attempt_at: next === null ? null : new Date(next).toISOString(),
      last_status: outcome.statusCode,
      last_error: ok ? null : outcome.error,
      updated: new Date(endMs).toISOString(),
    };
    try {
      const kept = await this.webhooks.repo.finishAttempt(
        row.id,
        owner,
        {
          delivery_id: row.id,
          attempt,
          started: new Date(startedMs).toISOString(),
          duration_ms: durationMs,
          status_code: outcome.statusCode,
          error: ok ? null : outcome.error,
        },
        patch,
      );
      if (!kept) this.log.warn({ delivery: row.id }, 'webhook lease lost before the attempt was recorded');
    } catch (err) {
      // the lease runs out and the row is claimed again: at-least-once, never lost
      this.log.error({ err, delivery: row.id }, 'could not record a webhook attempt');
    }
  }

  /** One POST; resolves (never rejects) with the status code or the reason it failed. */
  async send(rawUrl: string, sig: WebhookHeaders, body: string): Promise<AttemptOutcome> {
    let target: Awaited<ReturnType<typeof vetForRequest>>;
    try {
      target = await vetForRequest(rawUrl, { allowPrivate: this.config.allowPrivateUrls }, 'The webhook URL');
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      const hint =
        err.code === 'url_forbidden' && !this.config.allowPrivateUrls
          ? ' (MEDIARY_ALLOW_PRIVATE_URLS=true allows private addresses for local development)'
          : '';
      return { statusCode: null, error: err.message + hint, permanent: isPermanentUrlError(err) };
    }
    const { url, host, lookup } = target;
    const secure = url.protocol === 'https:';
    const timeoutMs = this.config.webhooks.timeoutMs;
    const options: https.RequestOptions = {
      method: 'POST',
      hostname: host,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': USER_AGENT,
        ...sig,
      },
      // a fresh connection per attempt: no pooled socket made under other rules is reused
      agent: false,
      lookup,
    };
    if (secure) {
      options.rejectUnauthorized = true;
      if (this.ca) options.ca = this.ca;
      if (isIP(host) === 0) options.servername = host;
    }
    return new Promise<AttemptOutcome>((resolve) => {
      let settled = false;
      let timedOut = false;
      const finish = (o: AttemptOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const req = (secure ? https : http).request(options);
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy();
        finish({ statusCode: null, error: `no response within ${timeoutMs} ms`, permanent: false });
      }, timeoutMs);
      req.on('response', (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        // the status line is the answer; the body is read and thrown away, for a short while at most
        const drain = setTimeout(() => res.destroy(), DRAIN_MS);
        res.on('error', () => {});
        res.on('close', () => clearTimeout(drain));
        res.resume();
        let error: string | null = null;
        if (status >= 300 && status <= 399) error = `HTTP ${status}: redirects are not followed`;
        else if (status < 200 || status > 299) error = `HTTP ${status}`;
        finish({ statusCode: status, error, permanent: false });
      });
      req.on('error', (err) => {
        if (timedOut) return;
        finish({ statusCode: null, error: describeNetError(err), permanent: false });
      });
      req.end(body);
    });
  }
}
