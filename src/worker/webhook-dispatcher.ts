// Front door for webhook deliveries: decides *when* to send. It claims due rows through the webhooks service
// (which signs, sends, records and schedules each attempt), wakes when a delivery is queued (in-process, or
// PostgreSQL NOTIFY from other processes) and otherwise sleeps until the next row comes due, polling as a
// fallback.
import type { Config } from '../config.js';
import type { DeliveryClaim, WebhookLog, WebhooksService } from '../services/webhooks.service.js';

export interface DispatcherOptions {
  /** deliveries in flight at once per dispatcher */
  concurrency?: number;
  /** longest sleep between looks at the outbox when nothing wakes the dispatcher */
  pollMs?: number;
  /** how long a claim is held; must outlast one attempt (the timeout) by a wide margin */
  leaseMs?: number;
  log?: WebhookLog;
}

/** an attempt's response body may be drained for up to 2 s after the timeout */
const DRAIN_MS = 2_000;

const consoleLog: WebhookLog = {
  warn: (obj, msg) => console.warn(`[webhooks] ${msg}`, obj),
  error: (obj, msg) => console.error(`[webhooks] ${msg}`, obj),
};

export class WebhookDispatcher {
  private readonly webhooks: WebhooksService;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly log: WebhookLog;

  private running = false;
  private loop?: Promise<void>;
  private poked = false;
  private wakeSleep?: () => void;
  private unsubscribe?: () => void;

  constructor(deps: { webhooks: WebhooksService; config: Config }, opts: DispatcherOptions = {}) {
    this.webhooks = deps.webhooks;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.pollMs = opts.pollMs ?? 5_000;
    this.leaseMs = opts.leaseMs ?? deps.config.webhooks.timeoutMs + DRAIN_MS + 60_000;
    this.log = opts.log ?? consoleLog;
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
      const claims: DeliveryClaim[] =
        free > 0 && !(forLoop && !this.running) ? await this.webhooks.claim(free, this.leaseMs) : [];
      for (const claim of claims) {
        const p: Promise<void> = this.webhooks.attempt(claim, this.log).finally(() => inflight.delete(p));
        inflight.add(p);
        attempts++;
      }
      if (inflight.size === 0 && claims.length === 0) return attempts;
      if (claims.length === 0 || inflight.size >= this.concurrency) await Promise.race(inflight);
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.webhooks.onQueued(() => this.poke());
    void this.webhooks.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.poke();
    await this.loop;
  }

  private poke(): void {
    this.poked = true;
    this.wakeSleep?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.poked = false;
      try {
        await this.drain(true);
      } catch (err) {
        this.log.error({ err }, 'webhook dispatch pass failed');
      }
      if (!this.running) break;
      let delay = this.pollMs;
      try {
        const due = await this.webhooks.nextDue();
        if (due !== null) delay = Math.min(delay, Math.max(0, due - this.webhooks.now()));
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
}
