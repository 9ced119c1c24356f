// Task webhooks: an outbox row per delivery, written in the caller's transaction, and one attempt at a
// time: claim a due row under a lease, sign it (Standard Webhooks), POST it through net/ under the SSRF
// rules, record the attempt and schedule the retry. worker/webhook-dispatcher.ts only decides when.

import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { backoff } from '../lib/backoff.js';
import { AppError, invalid, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import type { SecretBox } from '../lib/secrets.js';
import { isPermanentUrlError, type PostOutcome, postJson } from '../net/post-json.js';
import { checkUrl, FetchError } from '../net/safe-fetch.js';
import type { Page } from '../store/paginate.js';
import { claimToken, type Signals, type Tx } from '../store/queue.js';
import type {
  AttemptRow,
  DeliveryFilter,
  DeliveryRow,
  EndpointRow,
  FinishPatch,
  WebhooksRepository,
} from '../store/webhooks.repository.js';
import { EVENT_KINDS } from './event-kinds.js';
import type { MetricsService } from './metrics.service.js';
import type { AuthContext, ProjectsService } from './projects.service.js';
import type { WireObject } from './serializers.js';
import { webhookHeaders } from './webhook-signature.js';

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
  const delay = backoff(attempts, { baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS, random });
  return Math.min(nowMs + delay, deadline);
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
    endpoint_id: d.endpoint_id,
    event_id: d.event_id,
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
  /** TEST-ONLY: replaces Date.now for enqueue times and the retry schedule. */
  clock?: () => number;
  /** jitter source for the retry schedule, [0, 1) */
  random?: () => number;
  /** TEST-ONLY: extra CA certificates to trust for HTTPS receivers (verification stays on) */
  ca?: string | Buffer;
}

export interface WebhooksServiceDeps {
  repo: WebhooksRepository;
  signals: Signals;
  projects: ProjectsService;
  box: SecretBox;
  config: Config;
  metrics?: MetricsService;
}

/** Event kinds an endpoint can subscribe to, and the G4 names read as them (spec §10.2). */
const TOPIC_ALIASES: Record<string, string> = { 'task.succeeded': 'task.completed' };

export interface EndpointInput {
  url?: string;
  description?: string | null;
  topics?: string[];
  status?: 'active' | 'paused';
}

function unix(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

/** A delivery claimed for one attempt: its row and the token that holds the lease. */
export interface DeliveryClaim {
  row: DeliveryRow;
  owner: string;
}

export interface WebhookLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const USER_AGENT = 'mediary-webhooks';

export class WebhooksService {
  readonly now: () => number;
  readonly repo: WebhooksRepository;
  readonly config: Config;
  private readonly signals: Signals;
  private readonly projects: ProjectsService;
  private readonly box: SecretBox;
  private readonly random: () => number;
  private readonly ca?: string | Buffer;
  private readonly metrics?: MetricsService;

  constructor(deps: WebhooksServiceDeps, opts: WebhooksServiceOptions = {}) {
    this.repo = deps.repo;
    this.signals = deps.signals;
    this.projects = deps.projects;
    this.box = deps.box;
    this.config = deps.config;
    this.metrics = deps.metrics;
    this.now = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.ca = opts.ca;
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  /**
   * Writes the outbox row inside the caller's transaction, so the delivery exists exactly when the change it
   * reports does; senders are woken once that transaction commits.
   */
  async enqueueInTransaction(tx: Tx, input: EnqueueInput): Promise<DeliveryRow> {
    const row = this.newDelivery(input);
    await this.repo.insertDelivery(row, tx.db);
    tx.signal('webhooks', { type: 'queued' });
    return row;
  }

  /** A pending delivery, due now. */
  private newDelivery(
    input: EnqueueInput & { endpointId?: string | null; eventId?: string | null },
  ): DeliveryRow {
    const ts = this.nowIso();
    return {
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
      endpoint_id: input.endpointId ?? null,
      event_id: input.eventId ?? null,
      created: ts,
      updated: ts,
    };
  }

  /**
   * One delivery per active endpoint subscribed to the event's kind, written in the event's transaction; the
   * body is the event object (spec §10.2), signed with the endpoint's own secret when sent.
   */
  async enqueueForEvent(
    tx: Tx,
    event: { id: string; project_id: string; kind: string },
    /** the event's wire object, made only when some endpoint takes it */
    wire: () => WireObject,
  ) {
    const endpoints = await tx.memo(`endpoints:${event.project_id}`, () =>
      this.repo.activeEndpoints(event.project_id, tx.db),
    );
    let queued = 0;
    let payload: WireObject | undefined;
    for (const ep of endpoints) {
      const topics = JSON.parse(ep.topics) as string[];
      if (topics.length > 0 && !topics.includes(event.kind)) continue;
      payload ??= wire();
      const row = this.newDelivery({
        projectId: event.project_id,
        url: ep.url,
        type: event.kind,
        payload,
        endpointId: ep.id,
        eventId: event.id,
      });
      await this.repo.insertDeliveryOnce(row, tx.db);
      queued++;
    }
    if (queued > 0) tx.signal('webhooks', { type: 'queued' });
  }

  // --- webhook endpoints (beyond ittybit's G2/G3; the G4 shape) ---

  private topics(given: unknown): string[] {
    if (!Array.isArray(given)) throw invalid('"topics" must be a list of event kinds.');
    const out = new Set<string>();
    for (const t of given) {
      const kind = typeof t === 'string' ? (TOPIC_ALIASES[t] ?? t) : '';
      if (!(EVENT_KINDS as readonly string[]).includes(kind)) {
        throw invalid(
          `Unknown topic ${JSON.stringify(t).slice(0, 60)}; topics are ${EVENT_KINDS.join(', ')} (and task.succeeded).`,
        );
      }
      out.add(kind);
    }
    return [...out];
  }

  endpointToWire(row: EndpointRow, withSecret: boolean): WireObject {
    return {
      id: row.id,
      object: 'webhook_endpoint',
      url: row.url,
      description: row.description,
      topics: JSON.parse(row.topics) as string[],
      status: row.status,
      ...(withSecret && { secret: this.box.open(row.secret_enc) }),
      created: row.created,
      updated: row.updated,
      created_at: unix(row.created),
      updated_at: unix(row.updated),
    };
  }

  private newSecret(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }

  async createEndpoint(auth: AuthContext, input: EndpointInput): Promise<EndpointRow> {
    if (typeof input.url !== 'string' || input.url === '') throw invalid('"url" is required.');
    await this.validateUrl(input.url, 'url');
    const ts = this.nowIso();
    const row: EndpointRow = {
      id: newId('we'),
      project_id: auth.projectId,
      url: input.url,
      description: input.description ?? null,
      topics: JSON.stringify(this.topics(input.topics ?? [])),
      status: input.status ?? 'active',
      secret_enc: this.box.seal(this.newSecret()),
      created: ts,
      updated: ts,
    };
    await this.repo.insertEndpoint(row);
    return row;
  }

  async endpoint(auth: AuthContext, id: string): Promise<EndpointRow> {
    const row = await this.repo.getEndpoint(auth.projectId, id);
    if (!row) throw notFound('webhook endpoint', id);
    return row;
  }

  listEndpoints(auth: AuthContext, page: Page): Promise<{ rows: EndpointRow[]; total: number }> {
    return this.repo.listEndpoints(auth.projectId, page);
  }

  async updateEndpoint(auth: AuthContext, id: string, input: EndpointInput): Promise<EndpointRow> {
    const patch: Partial<EndpointRow> = { updated: this.nowIso() };
    if (input.url !== undefined) {
      await this.validateUrl(input.url, 'url');
      patch.url = input.url;
    }
    if (input.description !== undefined) patch.description = input.description;
    if (input.topics !== undefined) patch.topics = JSON.stringify(this.topics(input.topics));
    if (input.status !== undefined) patch.status = input.status;
    const row = await this.repo.updateEndpoint(auth.projectId, id, patch);
    if (!row) throw notFound('webhook endpoint', id);
    return row;
  }

  /** Pending deliveries to it are dropped at their next attempt (recorded as failed). */
  async deleteEndpoint(auth: AuthContext, id: string): Promise<void> {
    if (!(await this.repo.deleteEndpoint(auth.projectId, id))) throw notFound('webhook endpoint', id);
  }

  /** A new secret at once: every later attempt, pending retries too, is signed with it. */
  async rotateEndpointSecret(auth: AuthContext, id: string): Promise<EndpointRow> {
    const row = await this.repo.updateEndpoint(auth.projectId, id, {
      secret_enc: this.box.seal(this.newSecret()),
      updated: this.nowIso(),
    });
    if (!row) throw notFound('webhook endpoint', id);
    return row;
  }

  async enqueue(input: EnqueueInput): Promise<DeliveryRow> {
    return this.signals.transact((tx) => this.enqueueInTransaction(tx, input));
  }

  /**
   * For callers that accept a webhook_url (task creation): rejects what could never be delivered with a 400,
   * under the same rules the sender applies (scheme, credentials, non-public addresses).
   */
  async validateUrl(url: string, field = 'webhook_url'): Promise<void> {
    try {
      await checkUrl(url, { allowPrivate: this.config.allowPrivateUrls });
    } catch (err) {
      if (err instanceof FetchError && isPermanentUrlError(err)) {
        throw new AppError(err.code as 'url_invalid' | 'url_forbidden', `${field}: ${err.message}`);
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
    const ok = await this.signals.transact(async (tx) => {
      const found = await this.repo.requeue(auth.projectId, id, this.nowIso(), tx.db);
      if (found) tx.signal('webhooks', { type: 'queued' });
      return found;
    });
    if (!ok) throw notFound('webhook delivery', id);
    return this.get(auth, id);
  }

  /** Wake-ups for dispatchers: a delivery became due (here or, on PostgreSQL, in another process). */
  onQueued(fn: () => void): () => void {
    return this.signals.on('webhooks', fn);
  }

  /** Receive other processes' wake-ups from now on (PostgreSQL LISTEN; nothing to do on SQLite). */
  listen(): Promise<void> {
    return this.signals.listen();
  }

  /** Leases up to `limit` due deliveries for one attempt each. */
  async claim(limit: number, leaseMs: number): Promise<DeliveryClaim[]> {
    const now = this.now();
    const owner = claimToken(String(process.pid));
    const rows = await this.repo.claimDue(
      new Date(now).toISOString(),
      new Date(now + leaseMs).toISOString(),
      owner,
      limit,
    );
    return rows.map((row) => ({ row, owner }));
  }

  /** When the next claim could find something (ms since the epoch), or null when nothing is pending. */
  async nextDue(): Promise<number | null> {
    const due = await this.repo.nextDue();
    return due === null ? null : Date.parse(due);
  }

  /** One attempt of a claimed delivery: sign, send, record, schedule the next attempt or give up. */
  async attempt({ row, owner }: DeliveryClaim, log: WebhookLog): Promise<void> {
    const attempt = row.attempts + 1;
    const startedMs = this.now();
    const t0 = performance.now();
    let outcome: PostOutcome;
    try {
      const target = await this.target(row);
      if (!target) {
        outcome = { statusCode: null, error: 'the webhook endpoint was deleted or paused', permanent: true };
        return await this.record(row, owner, attempt, startedMs, performance.now(), outcome, log);
      }
      // re-signed per attempt: the timestamp is the attempt's, the id stays the delivery's (receivers dedupe on it)
      const headers = webhookHeaders(target.secret, row.id, Math.floor(startedMs / 1000), row.payload);
      outcome = await postJson(target.url, headers, row.payload, {
        allowPrivate: this.config.allowPrivateUrls,
        timeoutMs: this.config.webhooks.timeoutMs,
        userAgent: USER_AGENT,
        what: 'The webhook URL',
        ca: this.ca,
      });
    } catch (err) {
      const gone = err instanceof AppError && err.code === 'not_found';
      outcome = {
        statusCode: null,
        error: gone ? 'the project no longer exists' : 'internal error while sending',
        permanent: gone,
      };
      if (!gone) log.error({ err, delivery: row.id }, 'webhook attempt failed internally');
    }
    await this.record(row, owner, attempt, startedMs, t0, outcome, log);
  }

  /** Where an attempt goes and what signs it: the endpoint's current URL and secret, or the task's own. */
  private async target(row: DeliveryRow): Promise<{ url: string; secret: string } | null> {
    if (!row.endpoint_id) return { url: row.url, secret: await this.projects.webhookSecret(row.project_id) };
    const ep = await this.repo.getEndpoint(row.project_id, row.endpoint_id);
    if (ep?.status !== 'active') return null;
    return { url: ep.url, secret: this.box.open(ep.secret_enc) };
  }

  private async record(
    row: DeliveryRow,
    owner: string,
    attempt: number,
    startedMs: number,
    t0: number,
    outcome: PostOutcome,
    log: WebhookLog,
  ): Promise<void> {
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
    this.metrics?.webhookAttempt(ok ? 'delivered' : next === null ? 'failed' : 'retry');
    try {
      const kept = await this.repo.finishAttempt(
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
      if (!kept) log.warn({ delivery: row.id }, 'webhook lease lost before the attempt was recorded');
    } catch (err) {
      // the lease runs out and the row is claimed again: at-least-once, never lost
      log.error({ err, delivery: row.id }, 'could not record a webhook attempt');
    }
  }
}
