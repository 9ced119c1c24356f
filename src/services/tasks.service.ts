// Tasks (spec §5.3, §6): creation with validation against the kind registry, reads, and the lifecycle
// actions start / cancel / retry. Running them is the engine's job (worker/engine.ts); this service only
// writes rows and announces them.
import type { Config } from '../config.js';
import { AppError, invalid, notFound } from '../lib/errors.js';
import { isId } from '../lib/ids.js';
import { now } from '../lib/time.js';
import type { TaskKindRegistry } from '../runners/registry.js';
import type { TaskKindDefinition } from '../runners/runner.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { Page } from '../store/paginate.js';
import type { Signals } from '../store/queue.js';
import {
  PRIORITY,
  TASK_STATUSES,
  type TaskFilter,
  type TaskRow,
  type TasksRepository,
} from '../store/tasks.repository.js';
import type { EventsService } from './events.service.js';
import type { AuthContext } from './projects.service.js';
import {
  acceptsDescription,
  article,
  aTask,
  describeKinds,
  type KindInfo,
  validateOptions,
} from './task-options.js';
import { newTaskRow } from './task-rows.js';
import { checkUserUrl } from './user-urls.js';
import { stepUrls, validateSteps } from './workflow-steps.js';
import type { WorkflowsService } from './workflows.service.js';

/** The task statuses, for http/ (which doesn't import store/). */
export { TASK_STATUSES } from '../store/tasks.repository.js';

/** Body keys that are the task's own and never options (spec §4.4 `options`). */
const TASK_KEYS = new Set(['kind', 'file_id', 'url', 'webhook_url', 'options']);

export interface TaskView {
  task: TaskRow;
  /** the primary output file, when there is one */
  output: FileRow | null;
  /** a workflow's steps, oldest first */
  children?: TaskRow[];
}

/** Who asks: the API (interactive) or automations, which queue behind interactive work. */
export interface CreateTaskContext {
  priority?: number;
  createdBy?: string;
  automationId?: string | null;
  parentId?: string | null;
}

export interface TasksServiceDeps {
  config: Config;
  repo: TasksRepository;
  media: MediaRepository;
  kinds: TaskKindRegistry;
  signals: Signals;
  events: EventsService;
  workflows: WorkflowsService;
}

export class TasksService {
  private readonly config: Config;
  private readonly repo: TasksRepository;
  private readonly media: MediaRepository;
  private readonly kinds: TaskKindRegistry;
  private readonly signals: Signals;
  private readonly events: EventsService;
  private readonly workflows: WorkflowsService;

  constructor(deps: TasksServiceDeps) {
    this.config = deps.config;
    this.repo = deps.repo;
    this.media = deps.media;
    this.kinds = deps.kinds;
    this.signals = deps.signals;
    this.events = deps.events;
    this.workflows = deps.workflows;
  }

  private kindOrThrow(kind: unknown): TaskKindDefinition {
    const names = this.kinds.names().join(', ');
    if (kind === undefined || kind === null || kind === '') {
      throw new AppError('kind_unknown', `Missing "kind": the task kinds are ${names}.`);
    }
    const def = typeof kind === 'string' ? this.kinds.get(kind) : undefined;
    if (!def) {
      throw new AppError(
        'kind_unknown',
        `Unknown task kind ${JSON.stringify(kind).slice(0, 80)}; the task kinds are ${names}.`,
      );
    }
    return def;
  }

  /** Flat body keys and an `options` object, merged (spec §5.3 [INF]); the same key twice must agree. */
  private mergeOptions(body: Record<string, unknown>): Record<string, unknown> {
    const flat: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) if (!TASK_KEYS.has(k)) flat[k] = v;
    const nested = body.options;
    if (nested === undefined || nested === null) return flat;
    if (typeof nested !== 'object' || Array.isArray(nested)) {
      throw new AppError('option_invalid', '"options" must be an object of task options.');
    }
    for (const [k, v] of Object.entries(nested)) {
      if (k in flat && JSON.stringify(flat[k]) !== JSON.stringify(v)) {
        throw new AppError(
          'option_invalid',
          `Option "${k}" is given both at the top level and in "options" with different values.`,
        );
      }
      flat[k] = v;
    }
    return flat;
  }

  async create(
    auth: AuthContext,
    body: Record<string, unknown>,
    from: CreateTaskContext = {},
  ): Promise<TaskView> {
    const def = this.kindOrThrow(body.kind);
    const options = this.mergeOptions(body);
    validateOptions(def, options);

    const fileId = body.file_id;
    const url = body.url;
    if (fileId !== undefined && fileId !== null && typeof fileId !== 'string')
      throw invalid('"file_id" must be a string.');
    if (url !== undefined && url !== null && typeof url !== 'string')
      throw invalid('"url" must be a string.');
    if (fileId && url) throw invalid('Give either "file_id" or "url" as the task input, not both.');

    let input: FileRow | null = null;
    let mediaId: string | null = null;
    if (def.accepts === 'url') {
      if (fileId) throw invalid(`${def.kind} tasks take a "url", not a "file_id".`);
      if (!url) throw new AppError('url_required', `${def.kind} tasks need a "url" to fetch.`);
      if (typeof options.media_id === 'string') {
        const media = await this.media.getMedia(auth.projectId, options.media_id);
        if (!media) throw notFound('media', options.media_id);
        mediaId = media.id;
      }
    } else if (def.accepts !== 'none') {
      if (!fileId && !url) {
        throw new AppError(
          'url_required',
          `${aTask(def.kind)} needs an input: "file_id" (an existing file) or "url" (fetched first).`,
        );
      }
      if (fileId) {
        if (!isId('file', fileId))
          throw invalid(`"${fileId.slice(0, 80)}" is not a file id (expected file_…).`);
        const file = await this.media.getFile(auth.projectId, fileId);
        if (!file) throw notFound('file', fileId);
        if (file.object !== 'source' || !(def.accepts as string[]).includes(file.kind)) {
          throw new AppError(
            'media_unsupported',
            `${aTask(def.kind)} needs ${acceptsDescription(def)}; ${file.id} is ${article(file.object === 'source' ? file.kind : `${file.kind} ${file.object}`)} file.`,
          );
        }
        input = file;
        mediaId = file.media_id;
      }
    }
    if (url) await checkUserUrl(url, 'url', this.config.allowPrivateUrls);

    const webhookUrl = body.webhook_url;
    if (webhookUrl !== undefined && webhookUrl !== null && typeof webhookUrl !== 'string') {
      throw invalid('"webhook_url" must be a string.');
    }
    if (webhookUrl) await checkUserUrl(webhookUrl, 'webhook_url', this.config.allowPrivateUrls);

    let steps: string | null = null;
    if (def.kind === 'workflow') {
      const checked = validateSteps(options.workflow, this.kinds);
      for (const url of stepUrls(checked))
        await checkUserUrl(url, 'workflow http step url', this.config.allowPrivateUrls);
      steps = JSON.stringify(checked);
    }
    const row = newTaskRow({
      projectId: auth.projectId,
      kind: def.kind,
      options,
      input,
      url: url ?? null,
      mediaId,
      webhookUrl: webhookUrl || null,
      priority: from.priority ?? PRIORITY.interactive,
      maxAttempts: this.config.tasks.maxAttempts,
      createdBy: from.createdBy ?? auth.keyId,
      automationId: from.automationId,
      parentId: from.parentId,
      steps,
    });
    await this.signals.transact(async (tx) => {
      await this.repo.insert(row, tx.db);
      await this.events.taskChanged(tx, 'task.created', row);
      tx.signal('tasks', { type: 'queued' });
    });
    return { task: row, output: null };
  }

  private async view(row: TaskRow): Promise<TaskView> {
    const output = row.output_file_id
      ? await this.media.getFile(row.project_id, row.output_file_id)
      : undefined;
    const children = row.kind === 'workflow' ? await this.repo.children(row.id) : undefined;
    return { task: row, output: output ?? null, children };
  }

  private async row(auth: AuthContext, id: string): Promise<TaskRow> {
    const row = await this.repo.get(auth.projectId, id);
    if (!row) throw notFound('task', id);
    return row;
  }

  async get(auth: AuthContext, id: string): Promise<TaskView> {
    return this.view(await this.row(auth, id));
  }

  async list(
    auth: AuthContext,
    page: Page,
    filter: TaskFilter,
  ): Promise<{ items: TaskView[]; total: number }> {
    if (filter.status && !(TASK_STATUSES as readonly string[]).includes(filter.status)) {
      throw invalid(`Invalid query parameter "status": must be one of ${TASK_STATUSES.join(', ')}.`);
    }
    const { rows, total } = await this.repo.list(auth.projectId, page, filter);
    const outputIds = rows.map((r) => r.output_file_id).filter((x): x is string => Boolean(x));
    const files = new Map((await this.repo.filesByIds(auth.projectId, outputIds)).map((f) => [f.id, f]));
    const items: TaskView[] = [];
    for (const r of rows) {
      items.push({
        task: r,
        output: (r.output_file_id && files.get(r.output_file_id)) || null,
        children: r.kind === 'workflow' ? await this.repo.children(r.id) : undefined,
      });
    }
    return { items, total };
  }

  /** Idempotent: a pending task waiting out a retry delay becomes due now; other states are left alone. */
  async start(auth: AuthContext, id: string): Promise<TaskView> {
    const row = await this.row(auth, id);
    if (row.status === 'pending') {
      await this.repo.makeDue(auth.projectId, id, now());
      await this.signals.publish('tasks', { type: 'queued' });
    }
    return this.get(auth, id);
  }

  /**
   * Pending or processing → cancelled; a running ffmpeg is stopped through its AbortSignal. A workflow's
   * steps that have not ended are cancelled with it; a cancelled step ends its workflow when it was the last.
   */
  async cancel(auth: AuthContext, id: string): Promise<TaskView> {
    const ts = now();
    const cancelled = await this.signals.transact(async (tx) => {
      const row = await this.repo.cancel(auth.projectId, id, ts, tx.db);
      if (!row) return undefined;
      await this.events.taskChanged(tx, 'task.cancelled', row);
      tx.signal('tasks', { type: 'cancel', id });
      if (row.kind === 'workflow') await this.workflows.cancelChildren(tx, row, ts);
      await this.workflows.onTaskEnded(tx, row, null);
      return row;
    });
    if (!cancelled) {
      const row = await this.row(auth, id);
      if (row.status === 'cancelled') return this.view(row);
      throw new AppError(
        'conflict',
        `Task ${id} is already ${row.status}; only pending or processing tasks can be cancelled.`,
      );
    }
    return this.view(cancelled);
  }

  /**
   * Failed or cancelled → pending again, with a fresh set of attempts. A workflow that had started runs its
   * failed and cancelled steps again; a step retried on its own reopens its workflow.
   */
  async retry(auth: AuthContext, id: string): Promise<TaskView> {
    const ts = now();
    const requeued = await this.signals.transact(async (tx) => {
      const row = await this.repo.get(auth.projectId, id, tx.db);
      if (!row || (row.status !== 'failed' && row.status !== 'cancelled')) return undefined;
      if (row.kind === 'workflow' && (await this.workflows.retryChildren(tx, row, ts))) {
        return this.repo.patch(tx.db, row.id, {
          status: 'processing',
          error: null,
          completed: null,
          progress: 0,
          updated: ts,
        });
      }
      const again = await this.repo.requeue(auth.projectId, id, ts, tx.db);
      if (again?.parent_id) {
        const parent = await this.repo.lockForUpdate(tx.db, again.parent_id);
        if (parent && (parent.status === 'failed' || parent.status === 'cancelled')) {
          await this.repo.patch(tx.db, parent.id, {
            status: 'processing',
            error: null,
            completed: null,
            updated: ts,
          });
        }
      }
      tx.signal('tasks', { type: 'queued' });
      return again;
    });
    if (!requeued) {
      const row = await this.row(auth, id);
      throw new AppError(
        'conflict',
        `Task ${id} is ${row.status}; only failed or cancelled tasks can be retried.`,
      );
    }
    return this.view(requeued);
  }

  /** GET /tasks-config. */
  kindsConfig(): Record<string, KindInfo> {
    return describeKinds(this.kinds.list());
  }
}
