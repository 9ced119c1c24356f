// What running a task *means*, for the worker (worker/engine.ts) that decides when: claim and lease
// bookkeeping through the queue, then one run — the input prepared (a URL ingested first, the input's bytes
// made local), the kind's runner called, its outputs named and stored, and one transaction that writes the
// output file rows, the task's final status and its webhook outbox row. A failure is classified through the
// error catalogue: retried later with backoff, or failed with its public message.
import { join } from 'node:path';
import { BlobNotFoundError, type BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import { backoff } from '../lib/backoff.js';
import { AppError } from '../lib/errors.js';
import { scrubPaths } from '../media/ffmpeg.js';
import { type PostOutcome, postJson } from '../net/post-json.js';
import type { TaskKindRegistry } from '../runners/registry.js';
import {
  type OutputSpec,
  PermanentTaskError,
  type RunnerContext,
  type RunResult,
  type TaskKindDefinition,
} from '../runners/runner.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { SignalMessage, Signals, Tx } from '../store/queue.js';
import type { Lease, TaskRow, TasksRepository } from '../store/tasks.repository.js';
import { deliveryUrlFor } from './delivery-url.js';
import type { EventsService } from './events.service.js';
import { newFileRow } from './file-rows.js';
import type { IngestService } from './ingest.service.js';
import type { MetricsService } from './metrics.service.js';
import { deleteFileBlobs, storeOutputBlobs } from './packages.js';
import { joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';
import type { ProjectsService } from './projects.service.js';
import { parseJson, type Serializer } from './serializers.js';
import { acceptsDescription, article, aTask } from './task-options.js';
import { triggersAutomations } from './task-rows.js';
import { webhookHeaders } from './webhook-signature.js';
import { WorkDirs } from './work-dirs.js';
import type { WorkflowsService } from './workflows.service.js';

export type { FileRow, Lease, SignalMessage, TaskRow };

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

export type RunLog = (level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>) => void;

/** What the worker hands one run: its claim, its clock and its way to report progress. */
export interface RunContext {
  task: TaskRow;
  lease: Lease;
  /** the input file's row as the claim read it, when the task had one then */
  inputFile?: FileRow;
  /** aborted on cancel, lost lease or shutdown; carries a TaskAbortedError */
  signal: AbortSignal;
  /** the worker's throttled progress writer */
  progress: RunnerContext['progress'];
  /** ms since the epoch on the queue's clock (the database's, on PostgreSQL) */
  now(): number;
  leaseMs: number;
  /** the first retry's delay; each further one doubles */
  retryDelayMs: number;
  /** tasks the worker runs at once; encoders size their threads by it */
  slots: number;
  /**
   * Called once the run's heavy part (its runner) is over: the slot may start another task while this one
   * stores its outputs and writes its ending. Called again (harmlessly) when the run ends.
   */
  slotFree?: () => void;
  log: RunLog;
}

export interface ClaimRequest {
  workerId: string;
  now: number;
  leaseMs: number;
  projectConcurrency: number;
}

export interface TaskRunDeps {
  config: Config;
  tasks: TasksRepository;
  media: MediaRepository;
  blobs: BlobStore;
  ingest: IngestService;
  kinds: TaskKindRegistry;
  signals: Signals;
  events: EventsService;
  workflows: WorkflowsService;
  serializer: Serializer;
  projects: ProjectsService;
  metrics?: MetricsService;
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** What a failure means for the task: its public message, and whether another attempt could help. */
export function classifyFailure(err: unknown): { message: string; permanent: boolean } {
  if (err instanceof PermanentTaskError) return { message: err.message, permanent: true };
  if (err instanceof BlobNotFoundError) {
    return { message: 'The bytes of the input file are missing from storage.', permanent: true };
  }
  // the catalogue says: a broken input or a wrong option is final; the network, a tool or a server may recover
  if (err instanceof AppError) return { message: err.message, permanent: !err.retryable };
  const raw = err instanceof Error ? err.message : String(err);
  const message = scrubPaths(raw).slice(0, 500) || 'The task failed with an internal error.';
  return { message, permanent: false };
}

export class TaskRunService {
  private readonly workDirs: WorkDirs;

  constructor(private readonly deps: TaskRunDeps) {
    this.workDirs = new WorkDirs(join(deps.config.dataDir, 'tmp'));
  }

  // --- the queue, for the worker -------------------------------------------------------------------

  /** Wake-ups for workers: tasks queued (here or, on PostgreSQL, in another process) and cancels. */
  onSignal(fn: (message: SignalMessage) => void): () => void {
    return this.deps.signals.on('tasks', fn);
  }

  /** Receive other processes' wake-ups from now on (PostgreSQL LISTEN; nothing to do on SQLite). */
  listen(): Promise<void> {
    return this.deps.signals.listen();
  }

  /** The task kinds this process can run. */
  kindNames(): string[] {
    return this.deps.kinds.names();
  }

  /** The queue's clock (ms): the database's on PostgreSQL, so leases from several machines compare. */
  clock(): Promise<number> {
    return this.deps.tasks.dbNow();
  }

  /**
   * Claims a task and writes its task.processing event, in one transaction, which also reads the task's
   * input file row: the run starts without another round trip to the store (on SQLite, without waiting
   * for another run's finishing transaction to let go of the connection).
   */
  async claim(req: ClaimRequest): Promise<{ task: TaskRow; lease: Lease; inputFile?: FileRow } | undefined> {
    const kinds = this.kindNames();
    if (kinds.length === 0) return undefined;
    let inputFile: FileRow | undefined;
    const row = await this.deps.signals.transact(async (tx) => {
      const claimed = await this.deps.tasks.claim(
        {
          workerId: req.workerId,
          now: iso(req.now),
          leaseUntil: iso(req.now + req.leaseMs),
          projectConcurrency: req.projectConcurrency,
          kinds,
        },
        tx.db,
      );
      if (claimed) await this.deps.events.taskChanged(tx, 'task.processing', claimed);
      if (claimed?.input_file_id) {
        inputFile = await this.deps.media.getFile(claimed.project_id, claimed.input_file_id, tx.db);
      }
      return claimed;
    });
    if (!row) return undefined;
    return { task: row, lease: { id: row.id, workerId: row.worker_id!, attempt: row.attempts }, inputFile };
  }

  /** Extends the lease (and writes progress); false when the run no longer holds the task. */
  renew(lease: Lease, leaseUntil: number, progress?: { progress: number; eta: number | null; now: number }) {
    return this.deps.tasks.renew(lease, {
      lease_until: iso(leaseUntil),
      ...(progress && { progress: progress.progress, eta: progress.eta, updated: iso(progress.now) }),
    });
  }

  /** The run still holds its task with half its lease or more ahead (renewed when less is left). */
  private async stillHolds(run: RunContext): Promise<boolean> {
    const now = run.now();
    if (await this.deps.tasks.holds(run.lease, iso(now + run.leaseMs / 2))) return true;
    return this.renew(run.lease, now + run.leaseMs);
  }

  /** Gives a task back without counting the attempt (the worker is stopping). */
  async release(lease: Lease, now: number): Promise<void> {
    await this.deps.tasks.release(lease, iso(now));
  }

  /** Why a run lost its task: cancelled by a user, or taken over by another worker. */
  async lostReason(lease: Lease): Promise<AbortReason> {
    const row = await this.deps.tasks.getById(lease.id).catch(() => undefined);
    return row?.status === 'cancelled' ? 'cancelled' : 'lease_lost';
  }

  /** Tasks whose worker died on their last attempt fail, each with its webhook. Returns how many. */
  async reapExpired(now: number): Promise<TaskRow[]> {
    return this.deps.signals.transact(async (tx) => {
      const rows = await this.deps.tasks.reapExpired(tx.db, iso(now));
      for (const row of rows) await this.ended(tx, row, null);
      return rows;
    });
  }

  // --- one run ---------------------------------------------------------------------------------------

  /** Runs a claimed task to its end: completed, failed, retry scheduled, or (aborted) left to its owner. */
  async execute(run: RunContext): Promise<void> {
    const { deps } = this;
    const { lease, signal } = run;
    const def = deps.kinds.get(run.task.kind);
    let task = run.task;
    let workDir: string | undefined;
    let cleanupInput: (() => Promise<void>) | undefined;
    const startedAt = performance.now();
    let mediaSeconds: number | undefined;
    run.log('info', 'task started', taskIds(task, lease.attempt));
    try {
      // claims only pick known kinds; this guards a registry that changed under a running worker
      if (!def) throw new PermanentTaskError(`This server has no task kind "${task.kind}".`);
      if (!task.input_file_id && task.input_url) task = await this.ingestInput(run, def);
      throwIfAborted(signal);
      if (def.kind === 'workflow') {
        // a workflow's work is its steps: queue them and leave the parent waiting for them
        const parent = task;
        await deps.signals.transact((tx) => deps.workflows.start(tx, parent, iso(run.now())));
        return;
      }

      let input: RunnerContext['input'];
      if (task.input_file_id) {
        const file =
          run.inputFile?.id === task.input_file_id
            ? run.inputFile
            : await deps.media.getFile(task.project_id, task.input_file_id);
        if (!file) throw new PermanentTaskError(`The input file ${task.input_file_id} no longer exists.`);
        checkAccepts(def, file, Boolean(task.input_url));
        if (!file.blob_key) throw new PermanentTaskError('The input file has no stored bytes.');
        if (def.uses?.includes('subject')) {
          // kinds that read the input's facts (conditions, http) never need its bytes
          input = { file, localPath: '' };
        } else {
          const local = await deps.blobs.localFile(file.blob_key);
          cleanupInput = local.cleanup;
          input = { file, localPath: local.path };
        }
        mediaSeconds = file.duration ?? undefined;
      } else if (def.accepts !== 'none') {
        throw new PermanentTaskError(`${aTask(def.kind)} needs ${acceptsDescription(def)}.`);
      }

      workDir = await this.workDirs.take(task.id);
      const subject = def.uses?.includes('subject') ? await this.subject(task) : undefined;
      const result = await this.runRunner(run, def, {
        subject,
        post: def.uses?.includes('post') ? (url, opts) => this.post(task, url, opts) : undefined,
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
        progress: run.progress,
        slots: run.slots,
        limits: deps.config.limits,
        // the newest ready output of a kind in this media (subtitles reuse a finished speech transcript)
        earlierOutput: async (kind) => {
          if (!task.media_id) return null;
          const files = await deps.media.filesOfMedia(task.project_id, [task.media_id]);
          const file = files.filter((f) => f.kind === kind && f.status === 'ready' && f.blob_key).at(-1);
          if (!file?.blob_key) return null;
          const local = await deps.blobs.localFile(file.blob_key);
          return { localPath: local.path, cleanup: local.cleanup };
        },
        urlFor: (folder, filename) =>
          deliveryUrlFor(
            deps.config.deliveryUrl,
            task.project_id,
            joinPath(sanitizeFolder(folder), sanitizeFilename(filename) ?? filename),
          ),
      });
      // the slot is free: the worker's claim of the next task (and that task's way to its runner) goes
      // first; this run's storing and finishing transaction follow a turn of the event loop later
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfAborted(signal);
      // storing overwrites this task's blob keys: make sure they are still ours to write, for a while yet
      // (the heartbeat keeps at least two thirds of the lease ahead; a shorter one is renewed first)
      if (!(await this.stillHolds(run))) throw new LeaseLostError();
      await this.complete(run, task, def, result);
      const seconds = (performance.now() - startedAt) / 1000;
      deps.metrics?.taskRun(task.kind, 'completed', seconds, mediaSeconds);
      run.log('info', 'task completed', { ...taskIds(task, lease.attempt), seconds });
    } catch (err) {
      await this.fail(run, task, err, startedAt);
    } finally {
      run.slotFree?.();
      await cleanupInput?.().catch(() => {});
      if (workDir) await this.workDirs.give(workDir);
    }
  }

  /** The runner, holding the worker's slot only while it runs. */
  private async runRunner(run: RunContext, def: TaskKindDefinition, ctx: RunnerContext): Promise<RunResult> {
    try {
      return await def.run(ctx);
    } finally {
      run.slotFree?.();
    }
  }

  /** The input as the API shows it, for kinds that look at it: `{file, media, task}`. */
  private async subject(task: TaskRow): Promise<Record<string, unknown>> {
    const { media, serializer } = this.deps;
    const file = task.input_file_id ? await media.getFile(task.project_id, task.input_file_id) : undefined;
    const mediaRow = task.media_id ? await media.getMedia(task.project_id, task.media_id) : undefined;
    const files = mediaRow ? await media.filesOfMedia(task.project_id, [mediaRow.id]) : [];
    return {
      file: file ? serializer.file(file) : null,
      media: mediaRow ? serializer.media(mediaRow, files) : null,
      task: serializer.task(task, null),
    };
  }

  /** An http step's request: the SSRF rules of net/, signed like the project's webhooks. */
  private async post(
    task: TaskRow,
    url: string,
    opts: { method: string; headers: Record<string, string>; body: string },
  ): Promise<PostOutcome> {
    const secret = await this.deps.projects.webhookSecret(task.project_id);
    const signed = webhookHeaders(secret, task.id, Math.floor(Date.now() / 1000), opts.body);
    return postJson(url, { ...opts.headers, ...signed }, opts.body, {
      method: opts.method,
      allowPrivate: this.deps.config.allowPrivateUrls,
      timeoutMs: this.deps.config.webhooks.timeoutMs,
      userAgent: 'mediary-workflows',
      what: 'The http step URL',
    });
  }

  /** A URL input becomes a File (and Media) before the runner starts; the task remembers it for retries. */
  private async ingestInput(run: RunContext, def: TaskKindDefinition): Promise<TaskRow> {
    const { task } = run;
    const options = parseJson<Record<string, unknown>>(task.options) ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    // an ingest-like kind's options describe the ingested file; any other kind's describe its output
    const own = def.accepts === 'url';
    const file = await this.deps.ingest.ingestUrl({ projectId: task.project_id }, task.input_url!, {
      createdBy: task.id,
      signal: run.signal,
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
      lease_until: iso(run.now() + run.leaseMs),
      updated: iso(run.now()),
    };
    if (!(await this.deps.tasks.renew(run.lease, patch))) throw new LeaseLostError();
    return { ...task, ...patch };
  }

  /** Output bytes under keys derived from task id + index, so a retry overwrites instead of orphaning. */
  private async storeOutputs(run: RunContext, task: TaskRow, outputs: OutputSpec[]): Promise<FileRow[]> {
    const options = parseJson<Record<string, unknown>>(task.options) ?? {};
    const primary = primaryIndex(outputs);
    const rows: FileRow[] = [];
    for (const [i, spec] of outputs.entries()) {
      const isPrimary = i === primary;
      // the task's folder/filename/ref options name its primary output; a runner's own names win
      const pick = (given: string | null | undefined, option: unknown): string | null =>
        given !== undefined ? given : isPrimary && typeof option === 'string' ? option : null;
      const blobKey = `${task.project_id}/${task.id}-${i}`;
      // a package's parts (HLS segments) go beside it; size counts them all
      const size = await storeOutputBlobs(this.deps.blobs, blobKey, spec);
      rows.push(
        newFileRow({
          projectId: task.project_id,
          mediaId: task.media_id!,
          object: spec.object,
          kind: spec.kind,
          type: spec.type,
          facts: spec.facts,
          filesize: size,
          blobKey,
          folder: pick(spec.folder, options.folder),
          filename: pick(spec.filename, options.filename),
          ext: spec.ext,
          language: spec.language,
          ref: pick(spec.ref, options.ref),
          createdBy: task.id,
          created: iso(run.now()),
        }),
      );
    }
    return rows;
  }

  /** One transaction: the output file rows, the task's final status and its webhook outbox row. */
  private async complete(run: RunContext, task: TaskRow, def: TaskKindDefinition, result: RunResult) {
    const { deps } = this;
    if (result.outputs.length > 0 && !task.media_id) {
      throw new PermanentTaskError(
        `${aTask(def.kind)} made output files but has no media to attach them to.`,
      );
    }
    const files = await this.storeOutputs(run, task, result.outputs);
    const primary = files[primaryIndex(result.outputs)] ?? null;
    // a kind that made no file of its own (ingest) shows its input as its output
    const outputId = primary?.id ?? (def.accepts === 'url' ? task.input_file_id : null);
    try {
      await deps.signals.transact(async (tx) => {
        const ts = iso(run.now());
        const row = await deps.tasks.finish(tx.db, run.lease, {
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
        let output: FileRow | null = primary;
        if (files.length > 0) {
          // touching the media is also the check that it still exists
          if (!(await deps.media.updateMedia(task.project_id, task.media_id!, { updated: ts }, tx.db)))
            throw new PermanentTaskError('The media of this task was deleted while the task ran.');
          await deps.media.insertFiles(files, tx.db);
          for (const f of files) {
            await deps.events.fileCreated(tx, f, { fromAutomation: !triggersAutomations(task) });
          }
        } else if (outputId) {
          output = (await deps.media.getFile(task.project_id, outputId, tx.db)) ?? null;
        }
        await this.ended(tx, row, output);
      });
    } catch (err) {
      // keys belong to the task: after a lost lease another run may be writing them right now
      if (!(err instanceof LeaseLostError)) {
        for (const f of files) await deleteFileBlobs(deps.blobs, f).catch(() => {});
      }
      throw err;
    }
  }

  /** A task reached completed or failed: its event and webhook, and its workflow moves on. */
  private async ended(tx: Tx, task: TaskRow, output: FileRow | null): Promise<void> {
    await this.deps.events.taskEnded(tx, task, output);
    await this.deps.workflows.onTaskEnded(tx, task, output);
  }

  private async fail(run: RunContext, task: TaskRow, err: unknown, startedAt: number): Promise<void> {
    const { deps } = this;
    const { lease, signal } = run;
    if (signal.aborted) {
      const reason = signal.reason instanceof TaskAbortedError ? signal.reason.reason : 'lease_lost';
      // a cancelled task is already marked; a lost one belongs to another run
      if (reason === 'shutdown') await this.release(lease, run.now()).catch(() => {});
      return;
    }
    if (err instanceof LeaseLostError) return;
    const { message, permanent } = classifyFailure(err);
    const retry = !permanent && lease.attempt < task.max_attempts;
    const seconds = (performance.now() - startedAt) / 1000;
    deps.metrics?.taskRun(task.kind, retry ? 'retry' : 'failed', seconds);
    run.log(retry ? 'warn' : 'info', retry ? 'task attempt failed; will retry' : 'task failed', {
      ...taskIds(task, lease.attempt),
      seconds,
      task: task.id,
      error: message,
      cause: err instanceof Error && !(err instanceof PermanentTaskError) ? err.stack : undefined,
    });
    const ts = iso(run.now());
    if (retry) {
      const delay = Math.min(
        MAX_RETRY_DELAY_MS,
        backoff(lease.attempt, { baseMs: run.retryDelayMs, capMs: MAX_RETRY_DELAY_MS }),
      );
      await deps.tasks
        .transaction((trx) =>
          deps.tasks.finish(trx, lease, {
            status: 'pending',
            error: message,
            eta: null,
            run_after: iso(run.now() + delay),
            updated: ts,
          }),
        )
        .catch((e) => run.log('error', 'could not schedule the retry', { task: task.id, err: String(e) }));
      return;
    }
    try {
      await deps.signals.transact(async (tx) => {
        const row = await deps.tasks.finish(tx.db, lease, {
          status: 'failed',
          error: message,
          eta: null,
          completed: ts,
          updated: ts,
        });
        if (!row) return;
        await this.ended(tx, row, null);
      });
    } catch (e) {
      // the lease lapses and the task is claimed again: nothing is lost
      run.log('error', 'could not record the failure', { task: task.id, err: String(e) });
    }
  }
}

/** The ids every task log line carries (docs/operations.md). */
function taskIds(task: TaskRow, attempt: number) {
  return { task_id: task.id, project_id: task.project_id, kind: task.kind, attempt };
}

function primaryIndex(outputs: OutputSpec[]): number {
  return Math.max(
    0,
    outputs.findIndex((o) => o.primary),
  );
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
