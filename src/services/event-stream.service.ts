// GET /events/stream (docs/compatibility.md, Live events): the event log and task progress, live, per
// project. The API and the workers may be separate processes (PostgreSQL), so nothing is pushed in memory:
// one poller per process, running only while someone listens, reads the events newer than what it has seen
// and the progress of processing tasks every ~300 ms, and fans them out to the subscribers of each project.
//
// An event's `created` is its writer's clock, set inside a transaction that may commit a little later than a
// newer one; so each poll looks back LOOKBACK_MS behind the newest event seen and skips the ids it has
// already sent, rather than trusting a strict cursor that would jump over a late commit.
import type { Config } from '../config.js';
import { AppError, notFound } from '../lib/errors.js';
import type { EventRow, EventsRepository } from '../store/events.repository.js';
import type { TasksRepository } from '../store/tasks.repository.js';
import { eventToWire } from './events.service.js';
import type { AuthContext } from './projects.service.js';

/** One message of the stream: an SSE event (`id` only for events of the log), or a comment. */
export interface StreamMessage {
  id?: string;
  event: string;
  /** JSON text */
  data: string;
}

export interface SubscribeOptions {
  /** resume after this event: `?after=` (an unknown id is a 404) */
  after?: string;
  /** resume after this event: the Last-Event-ID header of a reconnect (an unknown id is ignored) */
  lastEventId?: string;
  /** kind prefixes (`task.`, `media.`); empty or absent: everything */
  types?: string[];
}

export interface Subscription {
  close(): void;
}

interface Subscriber {
  projectId: string;
  types: string[];
  send: (m: StreamMessage) => void;
  /** messages that arrived while the subscriber was still replaying from its resume point */
  buffer: StreamMessage[] | null;
  /** ids sent by the replay: a live poll may see them too */
  replayed: Set<string>;
}

export interface EventStreamDeps {
  config: Config;
  events: EventsRepository;
  tasks: TasksRepository;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface EventStreamOptions {
  pollMs?: number;
  /** how far behind the newest event seen each poll looks for late commits */
  lookbackMs?: number;
  /** at most this many events are replayed on a resume */
  maxReplay?: number;
}

const PAGE = 500;
/** at most this often per task (≈3 a second) */
const PROGRESS_EVERY_MS = 300;

/** A kind matches when it starts with one of the prefixes (no prefixes: everything). */
export function matchesTypes(kind: string, types: string[]): boolean {
  return types.length === 0 || types.some((t) => kind.startsWith(t));
}

/** `?types=task.,media.` → ['task.', 'media.'] (at most 20, each at most 50 characters). */
export function parseTypes(raw: string | undefined): string[] {
  if (!raw) return [];
  const types = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (types.length > 20 || types.some((t) => t.length > 50 || !/^[a-z_.]+$/.test(t))) {
    throw new AppError(
      'request_invalid',
      'types must be a comma-separated list of event kind prefixes, e.g. "task.,media.".',
    );
  }
  return types;
}

export class EventStreamService {
  private readonly byProject = new Map<string, Set<Subscriber>>();
  /** event ids already fanned out, with their created time (ms), pruned behind the look-back window */
  private readonly seen = new Map<string, number>();
  /** the newest `created` seen (ms); polls read from LOOKBACK_MS before it */
  private cursorMs = 0;
  /** last progress sent per processing task */
  private readonly progress = new Map<string, { key: string; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inflight = false;
  private closed = false;
  /** polls and project activations run one at a time */
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pollMs: number;
  private readonly lookbackMs: number;
  private readonly maxReplay: number;

  constructor(
    private readonly deps: EventStreamDeps,
    opts: EventStreamOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 300;
    this.lookbackMs = opts.lookbackMs ?? 5000;
    this.maxReplay = opts.maxReplay ?? 10_000;
  }

  /** Open streams of a project in this process. */
  subscribers(projectId: string): number {
    return this.byProject.get(projectId)?.size ?? 0;
  }

  /** Whether the poller runs (only while someone is subscribed). */
  get polling(): boolean {
    return this.running;
  }

  /**
   * Subscribes `send` to the project's events and task progress. Resolves once the subscriber is live (an
   * event written after that is sent) and its resume point, if any, has been replayed. 429 over the
   * per-project cap; 404 for an unknown `after`.
   */
  async subscribe(
    auth: AuthContext,
    opts: SubscribeOptions,
    send: (m: StreamMessage) => void,
  ): Promise<Subscription> {
    if (this.closed) throw new AppError('rate_limited', 'The server is shutting down.');
    const { projectId } = auth;
    const max = this.deps.config.events.streamMaxPerProject;
    if (this.subscribers(projectId) >= max) {
      throw new AppError(
        'rate_limited',
        `This project has ${max} open event streams on this server; close one or try again later.`,
      );
    }
    let anchor: EventRow | undefined;
    if (opts.lastEventId) anchor = await this.deps.events.get(projectId, opts.lastEventId);
    if (!anchor && opts.after) {
      anchor = await this.deps.events.get(projectId, opts.after);
      if (!anchor) throw notFound('event', opts.after);
    }
    const sub: Subscriber = {
      projectId,
      types: opts.types ?? [],
      send,
      buffer: anchor ? [] : null,
      replayed: new Set(),
    };
    await this.add(sub);
    const subscription = { close: () => this.remove(sub) };
    if (anchor) {
      try {
        await this.replay(sub, anchor);
      } catch (err) {
        this.remove(sub);
        throw err;
      }
    }
    return subscription;
  }

  /** Stops the poller and forgets every subscriber (the context's close; the HTTP layer ends the streams). */
  close(): void {
    this.closed = true;
    this.byProject.clear();
    this.stop();
  }

  private async add(sub: Subscriber): Promise<void> {
    const existing = this.byProject.get(sub.projectId);
    if (existing) {
      existing.add(sub);
      return;
    }
    // a project joining the poll: what its window holds already is history, not news
    const set = new Set<Subscriber>([sub]);
    await this.serial(async () => {
      // another subscriber of the project may have got in first while this one waited its turn
      const joined = this.byProject.get(sub.projectId);
      if (joined) {
        joined.add(sub);
        return;
      }
      if (!this.running) this.cursorMs = Date.now();
      const ids = await this.windowIds([sub.projectId]);
      for (const r of ids) this.seen.set(r.id, Date.parse(r.created));
      this.byProject.set(sub.projectId, set);
    });
    this.start();
  }

  private remove(sub: Subscriber): void {
    const set = this.byProject.get(sub.projectId);
    if (!set?.delete(sub)) return;
    if (set.size === 0) this.byProject.delete(sub.projectId);
    if (this.byProject.size === 0) this.stop();
  }

  private start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.schedule();
  }

  private stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.seen.clear();
    this.progress.clear();
  }

  private schedule(): void {
    if (!this.running || this.timer || this.inflight) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inflight = true;
      void this.serial(() => this.poll())
        .catch((err) => this.deps.log?.('event stream poll failed', { err: String(err) }))
        .finally(() => {
          this.inflight = false;
          this.schedule();
        });
    }, this.pollMs);
    this.timer.unref?.();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => {});
    return next;
  }

  private windowSince(): string {
    return new Date(Math.min(this.cursorMs, Date.now()) - this.lookbackMs).toISOString();
  }

  /** Every id in the look-back window of these projects, page by page. */
  private async windowIds(projectIds: string[]) {
    const since = this.windowSince();
    const all: { id: string; project_id: string; created: string }[] = [];
    let from: { created: string; id: string } | undefined;
    for (;;) {
      const page = await this.deps.events.recentIds(projectIds, since, PAGE, from);
      all.push(...page);
      if (page.length < PAGE) return all;
      from = page[page.length - 1];
    }
  }

  private async poll(): Promise<void> {
    if (!this.running) return;
    const projectIds = [...this.byProject.keys()];
    const fresh = (await this.windowIds(projectIds)).filter((r) => !this.seen.has(r.id));
    for (let i = 0; i < fresh.length; i += PAGE) {
      for (const row of await this.deps.events.getMany(fresh.slice(i, i + PAGE).map((r) => r.id))) {
        const created = Date.parse(row.created);
        this.seen.set(row.id, created);
        if (created > this.cursorMs) this.cursorMs = created;
        this.fanOut(row.project_id, {
          id: row.id,
          event: row.kind,
          data: JSON.stringify(eventToWire(row)),
        });
      }
    }
    const horizon = Math.min(this.cursorMs, Date.now()) - this.lookbackMs * 2;
    for (const [id, created] of this.seen) if (created < horizon) this.seen.delete(id);
    await this.pollProgress(projectIds);
  }

  private async pollProgress(projectIds: string[]): Promise<void> {
    const now = Date.now();
    const live = new Set<string>();
    for (const t of await this.deps.tasks.processingProgress(projectIds)) {
      live.add(t.id);
      const key = `${t.progress}|${t.eta}|${t.updated}`;
      const last = this.progress.get(t.id);
      if (last && (last.key === key || now - last.at < PROGRESS_EVERY_MS)) continue;
      this.progress.set(t.id, { key, at: now });
      this.fanOut(t.project_id, {
        event: 'task.progress',
        data: JSON.stringify({ id: t.id, status: t.status, progress: t.progress, eta: t.eta }),
      });
    }
    for (const id of this.progress.keys()) if (!live.has(id)) this.progress.delete(id);
  }

  private fanOut(projectId: string, m: StreamMessage): void {
    const subs = this.byProject.get(projectId);
    if (!subs) return;
    for (const sub of subs) {
      if (!matchesTypes(m.event, sub.types)) continue;
      if (sub.buffer) sub.buffer.push(m);
      else if (!(m.id && sub.replayed.has(m.id))) this.deliver(sub, m);
    }
  }

  private deliver(sub: Subscriber, m: StreamMessage): void {
    try {
      sub.send(m);
    } catch (err) {
      this.deps.log?.('event stream write failed', { err: String(err) });
      this.remove(sub);
    }
  }

  /** The events after the resume point, then what arrived live meanwhile (without repeats). */
  private async replay(sub: Subscriber, anchor: EventRow): Promise<void> {
    let from: { created: string; id: string } = anchor;
    let sent = 0;
    const recent = Date.now() - this.lookbackMs * 2;
    while (sent < this.maxReplay) {
      const rows = await this.deps.events.listSince(sub.projectId, from, PAGE);
      for (const row of rows) {
        if (!matchesTypes(row.kind, sub.types)) continue;
        // only what a live poll can still see needs remembering
        if (Date.parse(row.created) >= recent) sub.replayed.add(row.id);
        this.deliver(sub, { id: row.id, event: row.kind, data: JSON.stringify(eventToWire(row)) });
        sent++;
      }
      if (rows.length < PAGE) break;
      from = rows[rows.length - 1];
    }
    const buffered = sub.buffer ?? [];
    sub.buffer = null;
    for (const m of buffered) if (!(m.id && sub.replayed.has(m.id))) this.deliver(sub, m);
  }
}
