// Task webhooks: an outbox row per delivery, written in the caller's transaction; the dispatcher
// (worker/webhook-dispatcher.ts) sends, signs (Standard Webhooks), records attempts and schedules retries.
import { randomInt } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Config } from '../config.js';
import { AppError, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { checkUrl, FetchError } from '../net/safe-fetch.js';
import type { Store } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type {
  AttemptRow,
  DeliveryFilter,
  DeliveryRow,
  WebhooksRepository,
} from '../store/webhooks.repository.js';
import type { AuthContext, ProjectsService } from './projects.service.js';
import type { WireObject } from './serializers.js';

export interface EnqueueInput {
  projectId: string;
  /** the receiver; its query string is kept and sent as given */
  url: string;
  /** e.g. task.completed, task.failed */
  type: string;
  /** a JSON value, or JSON text that is sent byte for byte */
  payload: unknown;
  taskId?: string | null;
}

export interface DeliveryWithAttempts {
  delivery: DeliveryRow;
  attempts: AttemptRow[];
}

/** The first retry waits this long; each further one twice as long, up to RETRY_CAP_MS. */
export const RETRY_BASE_MS = 5_000;
export const RETRY_CAP_MS = 60 * 60_000;
/** ±20 % so that a receiver that was down is not hit by every delivery at the same instant. */
const JITTER = 0.2;

/**
 * When attempt number `attempts + 1` is due after attempt `attempts` failed at `nowMs`, or null when the
 * retry horizon (from `createdMs`) has passed. The last retry lands exactly on the horizon, so a delivery is
 * retried for the whole configured period and not a backoff step less.
 */
export function nextAttemptAt(
  createdMs: number,
  attempts: number,
  nowMs: number,
  retryMs: number,
  random: () => number = Math.random,
): number | null {
  const deadline = createdMs + retryMs;
  if (nowMs >= deadline) return null;
  const base = Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_CAP_MS);
  const delay = base * (1 - JITTER + 2 * JITTER * random());
  return Math.min(nowMs + delay, deadline);
}

/** Attempts that fail this way would fail the same way again: the delivery fails without retries. */
export function isPermanentUrlError(err: unknown): boolean {
  return err instanceof FetchError && (err.code === 'url_invalid' || err.code === 'url_forbidden');
}

function payloadText(payload: unknown): string {
  if (typeof payload === 'string') {
    try {
      JSON.parse(payload);
    } catch {
      throw new Error('a webhook payload given as text must be JSON');
    }
    return payload;
  }
  const text = JSON.stringify(payload);
  if (text === undefined) throw new Error('a webhook payload must be a JSON value');
  return text;
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The delivery as the API shows it (beyond ittybit): the row plus its attempt log. */
export function deliveryToWire({ delivery: d, attempts }: DeliveryWithAttempts): WireObject {
  return {
    id: d.id,
    object: 'webhook_delivery',
    project_id: d.project_id,
    task_id: d.task_id,
    type: d.type,
    url: d.url,
    status: d.status,
    attempt_count: d.attempts,
    next_attempt_at: d.next_attempt_at,
    last_status: d.last_status,
    last_error: d.last_error,
    payload: parsePayload(d.payload),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      started: a.started,
      duration_ms: a.duration_ms,
      status_code: a.status_code,
      error: a.error,
    })),
    created: d.created,
    updated: d.updated,
  };
}

export interface WebhooksServiceOptions {
  /** TEST-ONLY: replaces Date.now for enqueue times and the dispatcher's schedule. */
  clock?: () => number;
}

export class WebhooksService {
  readonly now: () => number;
  /** PostgreSQL NOTIFY channel that wakes dispatchers in every process when a delivery commits. */
  readonly channel: string;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: Store,
    readonly repo: WebhooksRepository,
    private readonly projects: ProjectsService,
    readonly config: Config,
    opts: WebhooksServiceOptions = {},
  ) {
    this.now = opts.clock ?? Date.now;
    this.channel = `mediary_webhooks${store.pgSchema ? `_${store.pgSchema}` : ''}`.slice(0, 63);
  }

  /** In-process wake-ups for dispatchers; returns the unsubscribe function. */
  onEnqueue(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private wake(): void {
    for (const fn of this.listeners) fn();
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  /**
   * Writes the outbox row inside the caller's transaction, so the delivery exists exactly when the change it
   * reports does. On PostgreSQL the NOTIFY is transactional too: it reaches other processes on commit.
   */
  async enqueueInTransaction(trx: Kysely<Database>, input: EnqueueInput): Promise<DeliveryRow> {
    const ts = this.nowIso();
    const row: DeliveryRow = {
      id: newId('whd'),
      project_id: input.projectId,
      task_id: input.taskId ?? null,
      url: input.url,
      type: input.type,
      payload: payloadText(input.payload),
      status: 'pending',
      attempts: 0,
      next_attempt_at: ts,
      lease_until: null,
      lease_owner: null,
      last_status: null,
      last_error: null,
      created: ts,
      updated: ts,
    };
    await this.repo.insertDelivery(row, trx);
    await this.notifyOthers(trx);
    // SQLite has one connection: a dispatcher woken now queues behind this transaction and sees the row.
    // On PostgreSQL an early pass may miss it; the NOTIFY above wakes it again on commit.
    this.wake();
    return row;
  }

  async enqueue(input: EnqueueInput): Promise<DeliveryRow> {
    return this.store.db.transaction().execute((trx) => this.enqueueInTransaction(trx, input));
  }

  private async notifyOthers(db: Kysely<Database>): Promise<void> {
    if (this.store.dialect === 'postgres') await sql`select pg_notify(${this.channel}, '')`.execute(db);
  }

  /**
   * For callers that accept a webhook_url (task creation): rejects what could never be delivered with a 400,
   * under the same rules the dispatcher applies (scheme, credentials, non-public addresses).
   */
  async validateUrl(url: string): Promise<void> {
    try {
      await checkUrl(url, { allowPrivate: this.config.allowPrivateUrls });
    } catch (err) {
      if (err instanceof FetchError && isPermanentUrlError(err)) {
        throw new AppError(err.code as 'url_invalid' | 'url_forbidden', `webhook_url: ${err.message}`);
      }
      // a name that does not resolve today may resolve later; the delivery will retry
    }
  }

  async secret(auth: AuthContext): Promise<string> {
    return this.projects.webhookSecret(auth.projectId);
  }

  /** Takes effect at once, for pending retries too: every attempt is signed with the current secret. */
  async rotateSecret(auth: AuthContext): Promise<string> {
    return this.projects.rotateWebhookSecret(auth.projectId);
  }

  async list(
    auth: AuthContext,
    f: DeliveryFilter,
  ): Promise<{ items: DeliveryWithAttempts[]; total: number }> {
    const { rows, total } = await this.repo.listDeliveries(auth.projectId, f);
    const attempts = await this.repo.attemptsOf(rows.map((r) => r.id));
    return {
      items: rows.map((delivery) => ({
        delivery,
        attempts: attempts.filter((a) => a.delivery_id === delivery.id),
      })),
      total,
    };
  }

  async get(auth: AuthContext, id: string): Promise<DeliveryWithAttempts> {
    const delivery = await this.repo.getDelivery(auth.projectId, id);
    if (!delivery) throw notFound('webhook delivery', id);
    return { delivery, attempts: await this.repo.attemptsOf([id]) };
  }

  /**
   * Makes the delivery due now, whatever its status (a succeeded one is sent again with the same
   * webhook-id, so receivers can deduplicate). The retry horizon still counts from its creation: past it,
   * a failing manual retry is one attempt.
   */
  async retry(auth: AuthContext, id: string): Promise<DeliveryWithAttempts> {
    const ok = await this.store.db.transaction().execute(async (trx) => {
      const found = await this.repo.requeue(auth.projectId, id, this.nowIso(), trx);
      if (found) await this.notifyOthers(trx);
      return found;
    });
    if (!ok) throw notFound('webhook delivery', id);
    this.wake();
    return this.get(auth, id);
  }

  /** The project's current signing secret, for the dispatcher (no auth context there). */
  signingSecret(projectId: string): Promise<string> {
    return this.projects.webhookSecret(projectId);
  }
}

/** Lease holder tokens: unique per claim, not secret. */
export function leaseToken(): string {
  return `${process.pid}-${randomInt(2 ** 47)}-${Date.now()}`;
}
