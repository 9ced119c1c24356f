// The task worker, a front door as thin as http/: a pool of slots in one process that claims tasks, holds
// each by a lease its heartbeat renews, reports progress, reaps tasks whose worker died, and aborts runs on
// cancel, lost lease or shutdown. What a run *does* (input, runner, outputs, the finishing transaction,
// retry or fail) is services/task-runs.service.ts. Correct with any number of workers on one PostgreSQL
// database (claims skip each other's locked rows; every write of a run is guarded by its claim token) and
// with the single embedded process on SQLite. Wake-ups come from the 'tasks' signal; a poll is the fallback
// for retries coming due and dead leases.
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { randomBase62 } from '../lib/ids.js';
import {
  type FileRow,
  type Lease,
  type RunContext,
  type RunLog,
  type SignalMessage,
  TaskAbortedError,
  type TaskRow,
  type TaskRunService,
} from '../services/task-runs.service.js';

export { TaskAbortedError };
export type EngineLog = RunLog;

export interface EngineDeps {
  config: Config;
  runs: TaskRunService;
  log?: EngineLog;
}

export interface EngineOptions {
  /** names this process in worker_id (default host:pid:random) */
  workerId?: string;
  /** tasks run at once by this engine (default config.workerConcurrency, at least 1) */
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  retryDelayMs?: number;
  projectConcurrency?: number;
  /** ms since the epoch; tests move it forward to see leases expire without waiting */
  clock?: () => number;
}

interface Run {
  lease: Lease;
  controller: AbortController;
  done: Promise<void>;
  /** its runner is still working (it holds a slot) */
  busy: boolean;
}

const PROGRESS_EVERY_MS = 1000;
const STOP_GRACE_MS = 10_000;
const CLOCK_SYNC_MS = 60_000;

function defaultLog(config: Config): EngineLog {
  if (config.logLevel === 'silent') return () => {};
  return (level, msg, data) => {
    if (level === 'info' && !/^(info|debug|trace)$/.test(config.logLevel)) return;
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...data })}\n`);
  };
}

export class TaskEngine {
  readonly workerId: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly retryDelayMs: number;
  private readonly projectConcurrency: number;
  private readonly baseClock: () => number;
  /** database clock minus ours (PostgreSQL): leases from several machines compare on one clock */
  private clockOffset = 0;
  private lastClockSync = Number.NEGATIVE_INFINITY;
  private readonly log: EngineLog;

  private readonly runs = new Map<string, Run>();
  private filling: Promise<void> | null = null;
  private refill = false;
  private lastReap = 0;
  private started = false;
  private stopped = false;
  private draining = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private finishedRuns = 0;
  /** runs whose runner is working: at most `concurrency`. Runs storing their outputs hold no slot. */
  private busy = 0;

  constructor(
    private readonly deps: EngineDeps,
    opts: EngineOptions = {},
  ) {
    const t = deps.config.tasks;
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${randomBase62(6)}`;
    this.concurrency = Math.max(1, opts.concurrency ?? deps.config.workerConcurrency);
    this.leaseMs = opts.leaseMs ?? t.leaseMs;
    this.pollMs = opts.pollMs ?? t.pollMs;
    this.retryDelayMs = opts.retryDelayMs ?? t.retryDelayMs;
    this.projectConcurrency = opts.projectConcurrency ?? t.projectConcurrency;
    this.baseClock = opts.clock ?? Date.now;
    this.log = deps.log ?? defaultLog(deps.config);
  }

  private clock(): number {
    return this.baseClock() + this.clockOffset;
  }

  private async syncClock(): Promise<void> {
    const t0 = Date.now();
    if (t0 - this.lastClockSync < CLOCK_SYNC_MS) return;
    this.lastClockSync = t0;
    const db = await this.deps.runs.clock();
    this.clockOffset = Math.round(db - (t0 + Date.now()) / 2);
  }

  /** Runs in the background until stop(): wake-ups, a fallback poll, and a claim after every finished run. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.subscribe();
    await this.deps.runs.listen();
    this.pollTimer = setInterval(() => void this.fill(), this.pollMs);
    void this.fill();
  }

  /**
   * Stops claiming, lets the runs in progress finish for up to `graceMs`, then aborts the rest and gives
   * their tasks back (the attempt is not counted), so another worker can start them at once instead of
   * waiting for their leases to lapse.
   */
  async stop(graceMs = 0): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.started = false;
    clearInterval(this.pollTimer);
    if (graceMs > 0 && this.runs.size > 0) {
      // cancels still reach runs during the grace period; new work does not
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.runs.values()].map((r) => r.done)),
        new Promise((r) => (graceTimer = setTimeout(r, graceMs))),
      ]);
      clearTimeout(graceTimer);
    }
    this.unsubscribe?.();
    for (const run of this.runs.values()) run.controller.abort(new TaskAbortedError('shutdown'));
    const settled = Promise.allSettled([...this.runs.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((r) => (timer = setTimeout(r, STOP_GRACE_MS)))]);
    clearTimeout(timer);
    await this.filling;
  }

  /**
   * Claims and runs tasks until none is claimable and none is running; returns how many runs ended.
   * Tests and benchmarks drive an unstarted engine with this instead of waiting.
   */
  async runUntilIdle(): Promise<number> {
    const before = this.finishedRuns;
    this.draining++;
    this.subscribe();
    try {
      this.lastReap = 0;
      await this.fill();
      while (this.runs.size > 0 || this.filling) {
        await Promise.race([
          ...[...this.runs.values()].map((r) => r.done),
          ...(this.filling ? [this.filling] : []),
        ]);
      }
    } finally {
      this.draining--;
    }
    return this.finishedRuns - before;
  }

  /** Task ids this engine is running now. */
  running(): string[] {
    return [...this.runs.values()].map((r) => r.lease.id);
  }

  private subscribe(): void {
    this.unsubscribe ??= this.deps.runs.onSignal((s) => this.onSignal(s));
  }

  private get active(): boolean {
    return !this.stopped && (this.started || this.draining > 0);
  }

  private onSignal(s: SignalMessage): void {
    if (s.type === 'queued') void this.fill();
    else if (s.type === 'cancel') {
      for (const run of this.runs.values()) {
        if (run.lease.id === s.id) run.controller.abort(new TaskAbortedError('cancelled'));
      }
    }
  }

  private fill(): Promise<void> {
    if (!this.active) return Promise.resolve();
    if (this.filling) {
      this.refill = true;
      return this.filling;
    }
    this.filling = (async () => {
      try {
        do {
          this.refill = false;
          await this.syncClock();
          await this.reap().catch((err) =>
            this.log('error', 'reaping expired tasks failed', { err: String(err) }),
          );
          // a run that is only storing its outputs and writing its end holds no slot, but their number
          // is bounded too (at most one per slot), so a slow store cannot pile finished work up
          while (this.active && this.busy < this.concurrency && this.runs.size < 2 * this.concurrency) {
            const claimed = await this.deps.runs.claim({
              workerId: `${this.workerId}/${randomBase62(8)}`,
              now: this.clock(),
              leaseMs: this.leaseMs,
              projectConcurrency: this.projectConcurrency,
            });
            if (!claimed) break;
            if (!this.active) {
              // stop() came while this claim was in flight: give the task straight back
              await this.deps.runs.release(claimed.lease, this.clock());
              break;
            }
            this.launch(claimed.task, claimed.lease, claimed.inputFile);
          }
        } while (this.refill && this.active);
      } catch (err) {
        // the store is unreachable or busy: the next wake-up or poll tries again
        this.log('error', 'task claim failed', { err: String(err) });
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  /** At most once per poll interval: tasks whose worker died on their last attempt fail. */
  private async reap(): Promise<void> {
    const t = this.clock();
    if (t - this.lastReap < this.pollMs) return;
    this.lastReap = t;
    for (const row of await this.deps.runs.reapExpired(t)) {
      this.log('warn', 'task failed: lease expired on its last attempt', { task: row.id });
    }
  }

  private launch(task: TaskRow, lease: Lease, inputFile?: FileRow): void {
    const controller = new AbortController();
    const run: Run = { lease, controller, done: Promise.resolve(), busy: true };
    this.busy++;
    const slotFree = () => {
      if (!run.busy) return;
      run.busy = false;
      this.busy--;
      void this.fill();
    };
    const heartbeat = setInterval(
      () => void this.heartbeat(lease, controller),
      Math.max(50, this.leaseMs / 3),
    );
    const done = this.deps.runs
      .execute({
        task,
        lease,
        inputFile,
        signal: controller.signal,
        progress: this.progressReporter(lease, controller),
        now: () => this.clock(),
        leaseMs: this.leaseMs,
        retryDelayMs: this.retryDelayMs,
        slots: this.concurrency,
        slotFree,
        log: this.log,
      })
      .catch((err) => this.log('error', 'task run crashed', { task: task.id, err: String(err) }))
      .finally(() => {
        clearInterval(heartbeat);
        this.runs.delete(lease.workerId);
        this.finishedRuns++;
        if (run.busy) slotFree();
        else void this.fill();
      });
    run.done = done;
    this.runs.set(lease.workerId, run);
  }

  /** Progress writes are throttled and also renew the lease; ETA from the rate so far when the runner has none. */
  private progressReporter(lease: Lease, controller: AbortController): RunContext['progress'] {
    const startedAt = this.clock();
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    return (percent, etaSeconds) => {
      const t = this.clock();
      if (t - lastWrite < PROGRESS_EVERY_MS || controller.signal.aborted) return;
      lastWrite = t;
      const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
      let eta = etaSeconds ?? null;
      if (eta === null && p >= 1 && p < 100) eta = ((t - startedAt) / 1000) * ((100 - p) / p);
      const progress = {
        progress: Math.round(p),
        eta: eta === null ? null : Math.max(0, Math.round(eta)),
        now: t,
      };
      writing = writing.then(async () => {
        try {
          if (!(await this.deps.runs.renew(lease, t + this.leaseMs, progress))) {
            await this.abortLost(lease, controller);
          }
        } catch {
          // progress is best effort; the heartbeat keeps the lease
        }
      });
    };
  }

  private async heartbeat(lease: Lease, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    try {
      const held = await this.deps.runs.renew(lease, this.clock() + this.leaseMs);
      if (!held) await this.abortLost(lease, controller);
    } catch (err) {
      // a store hiccup: the lease has slack (three beats) before anyone else may take the task
      this.log('warn', 'lease renewal failed', { task: lease.id, err: String(err) });
    }
  }

  private async abortLost(lease: Lease, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    controller.abort(new TaskAbortedError(await this.deps.runs.lostReason(lease)));
  }
}
