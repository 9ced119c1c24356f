// Wake-ups for the task engine. Within one process an EventEmitter carries them; on PostgreSQL they also
// travel as NOTIFY on a channel named per schema, so workers in other processes wake at once. Signals
// are hints: a missed one costs at most one poll interval, never a task.
import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type pg from 'pg';
import { randomBase62 } from '../lib/ids.js';
import type { Store } from './db.js';

export type TaskSignal =
  /** a task became claimable (created, started, retried) */
  | { type: 'queued' }
  /** a task was cancelled; the worker running it aborts */
  | { type: 'cancel'; id: string }
  /** a task reached completed or failed */
  | { type: 'finished'; id: string; status: string };

type Listener = (signal: TaskSignal) => void;

const RECONNECT_MS = 1000;

export class TaskSignals {
  readonly channel: string;
  private readonly emitter = new EventEmitter();
  /** tags our own NOTIFYs, which local listeners have already seen */
  private readonly origin = randomBase62(10);
  private client: pg.PoolClient | null = null;
  private listening = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {
    this.channel = `mediary_tasks_${store.pgSchema ?? 'public'}`.slice(0, 63);
    this.emitter.setMaxListeners(0);
  }

  on(listener: Listener): () => void {
    this.emitter.on('signal', listener);
    return () => this.emitter.off('signal', listener);
  }

  /**
   * Call after the change it announces has committed: local listeners run at once, and a worker that
   * reacts before the commit would find nothing to claim.
   */
  async publish(signal: TaskSignal): Promise<void> {
    this.emitter.emit('signal', signal);
    if (this.store.dialect !== 'postgres' || this.closed) return;
    const payload = JSON.stringify({ o: this.origin, s: signal });
    try {
      await sql`select pg_notify(${this.channel}, ${payload})`.execute(this.store.db);
    } catch {
      // the change itself is committed; other workers find it by polling
    }
  }

  /** On PostgreSQL, receives other processes' signals from now on (a dedicated pooled connection). */
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
        if (msg.channel !== this.channel || !msg.payload) return;
        try {
          const { o, s } = JSON.parse(msg.payload) as { o: string; s: TaskSignal };
          if (o !== this.origin) this.emitter.emit('signal', s);
        } catch {
          // not ours
        }
      });
      let failed = false;
      client.on('error', () => {
        if (failed) return;
        failed = true;
        this.reconnect(client);
      });
      await client.query(`listen "${this.channel}"`);
      this.client = client;
      // whatever was announced while we were not listening is found by a claim
      this.emitter.emit('signal', { type: 'queued' });
    } catch {
      this.scheduleReconnect();
    }
  }

  private reconnect(client: pg.PoolClient): void {
    if (this.client === client) this.client = null;
    client.release(true);
    this.scheduleReconnect();
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
        await client.query(`unlisten "${this.channel}"`);
        client.release();
      } catch {
        client.release(true);
      }
    }
  }
}
