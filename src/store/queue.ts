// The one building block for "do this once, somewhere": rows that are claimed under a lease, and the
// wake-ups that tell claimers to look. Tasks and webhook deliveries use it (next: automation runs).
//
// - Signals: named channels. Within one process an EventEmitter carries them; on PostgreSQL they also
//   travel as NOTIFY on one channel per schema, received on a single LISTEN connection that reconnects by
//   itself. Signals are hints: a missed one costs at most one poll, never a row.
// - transact(): a transaction whose signals are sent after it commits (a claimer woken before the commit
//   would find nothing), and only if it commits.
// - claimToken(): the per-claim token every guarded write of a claimed row matches on, so a stale holder
//   (its lease lapsed and the row was claimed again) writes nothing.
import { EventEmitter } from 'node:events';
import { sql, type Transaction } from 'kysely';
import type pg from 'pg';
import { randomBase62 } from '../lib/ids.js';
import type { Store } from './db.js';
import type { Database } from './schema.js';

export type Channel = 'tasks' | 'webhooks';

export type SignalMessage =
  /** a row became claimable (created, made due, retried) */
  | { type: 'queued' }
  /** a task was cancelled; the worker running it aborts */
  | { type: 'cancel'; id: string }
  /** a task reached completed or failed */
  | { type: 'finished'; id: string; status: string };

type Listener = (message: SignalMessage) => void;

/** A transaction in progress, and the signals to send once it has committed. */
export interface Tx {
  db: Transaction<Database>;
  signal(channel: Channel, message: SignalMessage): void;
  /**
   * A read remembered for the rest of this transaction (a project's webhook endpoints, its automations):
   * several events written in one transaction look them up once. Only for rows the transaction itself
   * does not change.
   */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
}

const RECONNECT_MS = 1000;

/** A unique, unguessable-enough token for one claim (not a secret). */
export function claimToken(prefix = ''): string {
  return `${prefix}${prefix ? '/' : ''}${randomBase62(12)}`;
}

export class Signals {
  /** the PostgreSQL NOTIFY channel of this schema; every named channel travels inside it */
  readonly pgChannel: string;
  private readonly emitter = new EventEmitter();
  /** tags our own NOTIFYs, which local listeners have already seen */
  private readonly origin = randomBase62(10);
  private client: pg.PoolClient | null = null;
  private listening = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {
    this.pgChannel = `mediary_${store.pgSchema ?? 'public'}`.slice(0, 63);
    this.emitter.setMaxListeners(0);
  }

  on(channel: Channel, listener: Listener): () => void {
    this.emitter.on(channel, listener);
    return () => this.emitter.off(channel, listener);
  }

  /** Call after the change it announces has committed (or use transact(), which does that for you). */
  async publish(channel: Channel, message: SignalMessage): Promise<void> {
    this.emitter.emit(channel, message);
    if (this.store.dialect !== 'postgres' || this.closed) return;
    const payload = JSON.stringify({ o: this.origin, c: channel, m: message });
    try {
      await sql`select pg_notify(${this.pgChannel}, ${payload})`.execute(this.store.db);
    } catch {
      // the change itself is committed; other processes find it by polling
    }
  }

  /**
   * Runs fn in one transaction; the signals it queues with `tx.signal()` are published once it has committed,
   * and dropped if it rolls back.
   */
  async transact<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const queued: [Channel, SignalMessage][] = [];
    const result = await this.store.db.transaction().execute((db) => {
      const memos = new Map<string, Promise<unknown>>();
      return fn({
        db,
        signal: (channel, message) => {
          queued.push([channel, message]);
        },
        memo: <M>(key: string, load: () => Promise<M>) => {
          let hit = memos.get(key) as Promise<M> | undefined;
          if (!hit) {
            hit = load();
            memos.set(key, hit);
          }
          return hit;
        },
      });
    });
    for (const [channel, message] of queued) await this.publish(channel, message);
    return result;
  }

  /** On PostgreSQL, receives other processes' signals from now on (one dedicated pooled connection). */
  async listen(): Promise<void> {
    if (this.store.dialect !== 'postgres' || this.listening || this.closed) return;
    this.listening = true;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const pool = this.store.pgPool;
    if (!pool || this.closed) return;
    try {
      const client = await pool.connect();
      client.on('notification', (msg) => {
        if (msg.channel !== this.pgChannel || !msg.payload) return;
        try {
          const { o, c, m } = JSON.parse(msg.payload) as { o: string; c: Channel; m: SignalMessage };
          if (o !== this.origin) this.emitter.emit(c, m);
        } catch {
          // not ours
        }
      });
      let failed = false;
      client.on('error', () => {
        if (failed) return;
        failed = true;
        if (this.client === client) this.client = null;
        client.release(true);
        this.scheduleReconnect();
      });
      await client.query(`listen "${this.pgChannel}"`);
      this.client = client;
      // whatever was announced while we were not listening is found by a claim
      this.emitter.emit('tasks', { type: 'queued' });
      this.emitter.emit('webhooks', { type: 'queued' });
    } catch {
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.emitter.removeAllListeners();
    const client = this.client;
    this.client = null;
    if (client) {
      try {
        await client.query(`unlisten "${this.pgChannel}"`);
        client.release();
      } catch {
        client.release(true);
      }
    }
  }
}
