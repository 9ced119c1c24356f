// The task engine: a pool of slots in one process that claims task rows, runs each with its kind's runner
// and finishes it in one transaction. Correct with any number of engines on one PostgreSQL database (claims
// skip each other's locked rows; every write of a run is guarded by its claim token) and with the single
// embedded process on SQLite. A run holds its task by a lease that a heartbeat renews; a run whose lease
// lapsed (its process died) is claimed again by any engine, and one that lost its lease aborts and writes
// nothing. Wake-ups come from TaskSignals; a poll is the fallback for retries coming due and dead leases.

import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { BlobNotFoundError, type BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { newId, randomBase62 } from '../lib/ids.js';
import { MediaError, OptionError } from '../media/errors.js';
import { scrubPaths } from '../media/ffmpeg.js';
import type { TaskKindRegistry } from '../runners/registry.js';
import {
  type OutputSpec,
  PermanentTaskError,
  type RunnerContext,
  type RunResult,
  type TaskKindDefinition,
} from '../runners/runner.js';
import { deliveryUrlFor } from '../services/delivery-url.js';
import { factColumns } from '../services/file-facts.js';
import type { IngestService } from '../services/ingest.service.js';
import { joinPath, sanitizeFilename, sanitizeFolder } from '../services/paths.js';
import { parseJson } from '../services/serializers.js';
import { acceptsDescription, article, aTask } from '../services/task-options.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { Database } from '../store/schema.js';
import type { TaskSignal, TaskSignals } from '../store/task-signals.js';
import type { Lease, TaskRow, TasksRepository } from '../store/tasks.repository.js';

export type AbortReason = 'cancelled' | 'lease_lost' | 'shutdown';

/** The reason a run's AbortSignal carries. */
export class TaskAbortedError extends Error {
  constructor(readonly reason: AbortReason) {
    super(
      reason === 'cancelled'
        ? 'The task was cancelled.'
        : reason === 'shutdown'
          ? 'The worker is shutting down.'
          : 'Another worker took the task over.',
    );
    this.name = 'TaskAbortedError';
  }
}

/** The run no longer holds its task; it must write nothing more. */
class LeaseLostError extends Error {
  constructor() {
    super('lease lost');
    this.name = 'LeaseLostError';
  }
}

export type EngineLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  data?: Record<string, unknown>,
) => void;

export interface EngineDeps {
  config: Config;
  tasks: TasksRepository;
  media: MediaRepository;
  blobs: BlobStore;
  ingest: IngestService;
  kinds: TaskKindRegistry;
  signals: TaskSignals;
  /** writes the finished task's webhook outbox row, inside the finishing transaction */
  onFinished: (trx: Kysely<Database>, task: TaskRow, output: FileRow | null) => Promise<void>;
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
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;
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

/** What a failure means for the task: its public message, and whether another attempt could help. */
export function classifyFailure(err: unknown): { message: string; permanent: boolean } {
  if (err instanceof PermanentTaskError || err instanceof OptionError) {
    return { message: err.message, permanent: true };
  }
  if (err instanceof MediaError) {
    const permanent = ['corrupt_media', 'unsupported_media', 'too_large'].includes(err.code);
    return { message: err.message, permanent };
  }
  if (err instanceof BlobNotFoundError) {
    return { message: 'The bytes of the input file are missing from storage.', permanent: true };
  }
  if (err instanceof AppError) {
    // URL ingest: the address, the answer or the content is wrong (permanent), or the network or the
    // server had a bad moment (worth another attempt)
    const status = (err.cause as { status?: number } | undefined)?.status;
    const transient =
      err.code === 'url_unreachable' ||
      err.code === 'url_timeout' ||
      (err.code === 'url_http_error' &&
        (status === undefined || status >= 500 || status === 429 || status === 408)) ||
      err.status >= 500;
    return { message: err.message, permanent: !transient };
  }
  const raw = err instanceof Error ? err.message : String(err);
  const message = scrubPaths(raw).slice(0, 500) || 'The task failed with an internal error.';
  return { message, permanent: false };
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
    const db = await this.deps.tasks.dbNow();
    this.clockOffset = Math.round(db - (t0 + Date.now()) / 2);
  }

  private iso(offsetMs = 0): string {
    return new Date(this.clock() + offsetMs).toISOString();
  }

  /** Runs in the background until stop(): wake-ups, a fallback poll, and a claim after every finished run. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.subscribe();
    await this.deps.signals.listen();
    this.pollTimer = setInterval(() => void this.fill(), this.pollMs);
    void this.fill();
  }

  /**
   * Stops claiming, aborts the runs in progress and gives their tasks back (the attempt is not counted),
   * so another worker can start them at once.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.started = false;
    clearInterval(this.pollTimer);
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
    this.unsubscribe ??= this.deps.signals.on((s) => this.onSignal(s));
  }

  private get active(): boolean {
    return !this.stopped && (this.started || this.draining > 0);
  }

  private onSignal(s: TaskSignal): void {
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
          while (this.active && this.runs.size < this.concurrency) {
            const row = await this.deps.tasks.claim({
              workerId: `${this.workerId}/${randomBase62(8)}`,
              now: this.iso(),
              leaseUntil: this.iso(this.leaseMs),
              projectConcurrency: this.projectConcurrency,
              kinds: this.deps.kinds.names(),
            });
            if (!row) break;
            if (!this.active) {
              // stop() came while this claim was in flight: give the task straight back
              const lease = { id: row.id, workerId: row.worker_id!, attempt: row.attempts };
              await this.deps.tasks.release(lease, this.iso());
              break;
            }
            this.launch(row);
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

  /** Tasks whose worker died on their last attempt fail, with their webhook. At most once per poll interval. */
  private async reap(): Promise<void> {
    const t = this.clock();
    if (t - this.lastReap < this.pollMs) return;
    this.lastReap = t;
    const reaped = await this.deps.tasks.transaction(async (trx) => {
      const rows = await this.deps.tasks.reapExpired(trx, this.iso());
      for (const row of rows) await this.deps.onFinished(trx, row, null);
      return rows;
    });
    for (const row of reaped) {
      this.log('warn', 'task failed: lease expired on its last attempt', { task: row.id });
      await this.deps.signals.publish({ type: 'finished', id: row.id, status: row.status });
    }
  }

  private launch(row: TaskRow): void {
    const lease: Lease = { id: row.id, workerId: row.worker_id!, attempt: row.attempts };
    const controller = new AbortController();
    const done = this.execute(row, lease, controller)
      .catch((err) => this.log('error', 'task run crashed', { task: row.id, err: String(err) }))
      .finally(() => {
        this.runs.delete(lease.workerId);
        this.finishedRuns++;
        void this.fill();
      });
    this.runs.set(lease.workerId, { lease, controller, done });
  }

  private async execute(claimed: TaskRow, lease: Lease, controller: AbortController): Promise<void> {
    const { deps } = this;
    const signal = controller.signal;
    const def = deps.kinds.get(claimed.kind);
    let task = claimed;
    let workDir: string | undefined;
    let cleanupInput: (() => Promise<void>) | undefined;
    const heartbeat = setInterval(
      () => void this.heartbeat(lease, controller),
      Math.max(50, this.leaseMs / 3),
    );
    try {
      // claims only pick known kinds; this guards a registry that changed under a running engine
      if (!def) throw new PermanentTaskError(`This server has no task kind "${claimed.kind}".`);
      if (!task.input_file_id && task.input_url) task = await this.ingestInput(task, def, lease, signal);
      throwIfAborted(signal);

      let input: RunnerContext['input'];
      if (task.input_file_id) {
        const file = await deps.media.getFile(task.project_id, task.input_file_id);
        if (!file) throw new PermanentTaskError(`The input file ${task.input_file_id} no longer exists.`);
        checkAccepts(def, file, Boolean(task.input_url));
        if (!file.blob_key) throw new PermanentTaskError('The input file has no stored bytes.');
        const local = await deps.blobs.localFile(file.blob_key);
        cleanupInput = local.cleanup;
        input = { file, localPath: local.path };
      } else if (def.accepts !== 'none') {
        throw new PermanentTaskError(`${aTask(def.kind)} needs ${acceptsDescription(def)}.`);
      }

      const tmp = join(deps.config.dataDir, 'tmp');
      workDir = await mkdtemp(join(tmp, `${task.id}-`));
      const ctx: RunnerContext = {
        task: {
          id: task.id,
          projectId: task.project_id,
          kind: task.kind,
          options: parseJson<Record<string, unknown>>(task.options) ?? {},
          mediaId: task.media_id,
          attempt: lease.attempt,
        },
        input,
        workDir,
        signal,
        progress: this.progressReporter(lease, controller),
        limits: deps.config.limits,
        urlFor: (folder, filename) =>
          deliveryUrlFor(
            deps.config.deliveryUrl,
            task.project_id,
            joinPath(sanitizeFolder(folder), sanitizeFilename(filename) ?? filename),
          ),
      };
      const result = await def.run(ctx);
      throwIfAborted(signal);
      // storing overwrites this task's blob keys: make sure they are still ours to write
      if (!(await deps.tasks.renew(lease, { lease_until: this.iso(this.leaseMs) })))
        throw new LeaseLostError();
      await this.complete(task, def, lease, result);
    } catch (err) {
      await this.fail(task, lease, err, signal);
    } finally {
      clearInterval(heartbeat);
      await cleanupInput?.().catch(() => {});
      if (workDir) await removeWorkDir(workDir);
    }
  }

  /** A URL input becomes a File (and Media) before the runner starts; the task remembers it for retries. */
  private async ingestInput(
    task: TaskRow,
    def: TaskKindDefinition,
    lease: Lease,
    signal: AbortSignal,
  ): Promise<TaskRow> {
    const options = parseJson<Record<string, unknown>>(task.options) ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    // an ingest-like kind's options describe the ingested file; any other kind's describe its output
    const own = def.accepts === 'url';
    const file = await this.deps.ingest.ingestUrl({ projectId: task.project_id }, task.input_url!, {
      createdBy: task.id,
      signal,
      mediaId: own ? str(options.media_id) : undefined,
      folder: own ? str(options.folder) : undefined,
      filename: own ? str(options.filename) : undefined,
      ref: own ? str(options.ref) : undefined,
      label: own ? str(options.label) : undefined,
      metadata: own
        ? (options.metadata as Record<string, string | number | boolean | null> | undefined)
        : undefined,
    });
    const patch = {
      input_file_id: file.id,
      input_snapshot: JSON.stringify(file),
      media_id: file.media_id,
      lease_until: this.iso(this.leaseMs),
      updated: this.iso(),
    };
    if (!(await this.deps.tasks.renew(lease, patch))) throw new LeaseLostError();
    return { ...task, ...patch };
  }

  private progressReporter(lease: Lease, controller: AbortController): RunnerContext['progress'] {
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
      const patch = {
        progress: Math.round(p),
        eta: eta === null ? null : Math.max(0, Math.round(eta)),
        lease_until: this.iso(this.leaseMs),
        updated: this.iso(),
      };
      writing = writing.then(async () => {
        try {
          if (!(await this.deps.tasks.renew(lease, patch))) await this.abortLost(lease, controller);
        } catch {
          // progress is best effort; the heartbeat keeps the lease
        }
      });
    };
  }

  private async heartbeat(lease: Lease, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    try {
      const held = await this.deps.tasks.renew(lease, { lease_until: this.iso(this.leaseMs) });
      if (!held) await this.abortLost(lease, controller);
    } catch (err) {
      // a store hiccup: the lease has slack (three beats) before anyone else may take the task
      this.log('warn', 'lease renewal failed', { task: lease.id, err: String(err) });
    }
  }

  private async abortLost(lease: Lease, controller: AbortController): Promise<void> {
    if (controller.signal.aborted) return;
    const row = await this.deps.tasks.getById(lease.id).catch(() => undefined);
    controller.abort(new TaskAbortedError(row?.status === 'cancelled' ? 'cancelled' : 'lease_lost'));
  }

  /** Output bytes under keys derived from task id + index, so a retry overwrites instead of orphaning. */
  private async storeOutputs(task: TaskRow, outputs: OutputSpec[]): Promise<FileRow[]> {
    const options = parseJson<Record<string, unknown>>(task.options) ?? {};
    const primary = Math.max(
      0,
      outputs.findIndex((o) => o.primary),
    );
    const rows: FileRow[] = [];
    for (const [i, spec] of outputs.entries()) {
      const isPrimary = i === primary;
      const pick = (given: string | null | undefined, option: unknown): string | null =>
        given !== undefined ? given : isPrimary && typeof option === 'string' ? option : null;
      const id = newId('file');
      const folder = sanitizeFolder(pick(spec.folder, options.folder));
      const filename = sanitizeFilename(pick(spec.filename, options.filename)) ?? `${id}.${spec.ext}`;
      const blobKey = `${task.project_id}/${task.id}-${i}`;
      const { size } = await this.deps.blobs.putFile(blobKey, spec.localPath, { contentType: spec.type });
      const ts = this.iso();
      rows.push({
        id,
        project_id: task.project_id,
        media_id: task.media_id!,
        object: spec.object,
        kind: spec.kind,
        type: spec.type,
        ...factColumns(spec.facts ?? {}),
        filesize: size,
        language: spec.language ?? null,
        label: null,
        ref: pick(spec.ref, options.ref),
        folder,
        filename,
        path: joinPath(folder, filename),
        placeholder: null,
        background: null,
        metadata: null,
        original: 0,
        created_by: task.id,
        blob_key: blobKey,
        status: 'ready',
        created: ts,
        updated: ts,
      });
    }
    return rows;
  }

  /** One transaction: the output file rows, the task's final status and its webhook outbox row. */
  private async complete(
    task: TaskRow,
    def: TaskKindDefinition,
    lease: Lease,
    result: RunResult,
  ): Promise<void> {
    const { deps } = this;
    if (result.outputs.length > 0 && !task.media_id) {
      throw new PermanentTaskError(
        `${aTask(def.kind)} made output files but has no media to attach them to.`,
      );
    }
    const files = await this.storeOutputs(task, result.outputs);
    const primaryIndex = Math.max(
      0,
      result.outputs.findIndex((o) => o.primary),
    );
    const primary = files[primaryIndex] ?? null;
    // a kind that made no file of its own (ingest) shows its input as its output
    const outputId = primary?.id ?? (def.accepts === 'url' ? task.input_file_id : null);
    let finished: TaskRow | undefined;
    let output: FileRow | null = primary;
    try {
      finished = await deps.tasks.transaction(async (trx) => {
        const ts = this.iso();
        const row = await deps.tasks.finish(trx, lease, {
          status: 'completed',
          output_file_id: outputId,
          results: result.results ? JSON.stringify(result.results) : null,
          progress: 100,
          eta: null,
          error: null,
          completed: ts,
          updated: ts,
        });
        if (!row) throw new LeaseLostError();
        if (files.length > 0) {
          // touching the media is also the check that it still exists
          if (!(await deps.media.updateMedia(task.project_id, task.media_id!, { updated: ts }, trx)))
            throw new PermanentTaskError('The media of this task was deleted while the task ran.');
          await deps.media.insertFiles(files, trx);
        } else if (outputId) {
          output = (await deps.media.getFile(task.project_id, outputId, trx)) ?? null;
        }
        await deps.onFinished(trx, row, output);
        return row;
      });
    } catch (err) {
      // keys belong to the task: after a lost lease another run may be writing them right now
      if (!(err instanceof LeaseLostError)) {
        for (const f of files) await deps.blobs.delete(f.blob_key!).catch(() => {});
      }
      throw err;
    }
    await deps.signals.publish({ type: 'finished', id: finished.id, status: finished.status });
  }

  private async fail(task: TaskRow, lease: Lease, err: unknown, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    if (signal.aborted) {
      const reason = signal.reason instanceof TaskAbortedError ? signal.reason.reason : 'lease_lost';
      // a cancelled task is already marked; a lost one belongs to another run
      if (reason === 'shutdown') await deps.tasks.release(lease, this.iso()).catch(() => {});
      return;
    }
    if (err instanceof LeaseLostError) return;
    const { message, permanent } = classifyFailure(err);
    const retry = !permanent && lease.attempt < task.max_attempts;
    this.log(retry ? 'warn' : 'info', retry ? 'task attempt failed; will retry' : 'task failed', {
      task: task.id,
      attempt: lease.attempt,
      error: message,
      cause: err instanceof Error && !(err instanceof PermanentTaskError) ? err.stack : undefined,
    });
    const ts = this.iso();
    if (retry) {
      const base = this.retryDelayMs * 2 ** (lease.attempt - 1);
      const delay = Math.min(MAX_RETRY_DELAY_MS, base * (0.8 + Math.random() * 0.4));
      await deps.tasks
        .transaction((trx) =>
          deps.tasks.finish(trx, lease, {
            status: 'pending',
            error: message,
            eta: null,
            run_after: this.iso(delay),
            updated: ts,
          }),
        )
        .catch((e) => this.log('error', 'could not schedule the retry', { task: task.id, err: String(e) }));
      return;
    }
    let finished: TaskRow | undefined;
    try {
      finished = await deps.tasks.transaction(async (trx) => {
        const row = await deps.tasks.finish(trx, lease, {
          status: 'failed',
          error: message,
          eta: null,
          completed: ts,
          updated: ts,
        });
        if (row) await deps.onFinished(trx, row, null);
        return row;
      });
    } catch (e) {
      // the lease lapses and the task is claimed again: nothing is lost
      this.log('error', 'could not record the failure', { task: task.id, err: String(e) });
    }
    if (finished) await deps.signals.publish({ type: 'finished', id: finished.id, status: 'failed' });
  }
}

/** The engine moved the outputs out, so the work dir is usually empty: one rmdir, else the whole tree. */
async function removeWorkDir(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

function checkAccepts(def: TaskKindDefinition, file: FileRow, fromUrl: boolean): void {
  if (def.accepts === 'url' || def.accepts === 'none') return;
  if (file.object === 'source' && (def.accepts as string[]).includes(file.kind)) return;
  const what = file.object === 'source' ? `${file.kind} (${file.type})` : `${file.kind} ${file.object} file`;
  throw new PermanentTaskError(
    `${aTask(def.kind)} needs ${acceptsDescription(def)}, but ${fromUrl ? 'the URL gave' : 'the input is'} ${article(what)}.`,
  );
}
