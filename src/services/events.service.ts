// The outbox. Every state change writes its event here, inside the change's own transaction, and in that same
// transaction the event fans out: one delivery per matching webhook endpoint, and one automation run (a
// `workflow` task) per matching active automation. So a trigger fires exactly once per event and automation,
// whatever the number of API and worker processes, and nothing fires for a change that rolled back.
import type { Config } from '../config.js';
import { notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { every } from '../lib/periodic.js';
import { strictlyIncreasingNow } from '../lib/time.js';
import type { AutomationRow, AutomationsRepository } from '../store/automations.repository.js';
import type { EventCursor, EventFilter, EventRow, EventsRepository } from '../store/events.repository.js';
import type { FileRow, MediaRepository, MediaRow } from '../store/media.repository.js';
import type { Page } from '../store/paginate.js';
import type { Tx } from '../store/queue.js';
import { PRIORITY, type TaskRow, type TasksRepository } from '../store/tasks.repository.js';
import { type EventKind, TRIGGER_EVENTS } from './event-kinds.js';
import type { AuthContext } from './projects.service.js';
import { parseJson, type Serializer, type WireObject } from './serializers.js';
import { newTaskRow, SYSTEM_CREATOR, triggersAutomations } from './task-rows.js';
import type { WebhooksService } from './webhooks.service.js';

export interface EmitInput {
  projectId: string;
  kind: EventKind;
  /** the object the event is about, as the API shows it */
  data: WireObject;
  /** for triggers: the file an automation run takes as its input, and its media */
  subject?: { fileId: string | null; mediaId: string | null };
  /**
   * true when the change was made by an automation run: such events are logged and delivered but trigger
   * no automation, so an automation cannot set itself off in a loop
   */
  fromAutomation?: boolean;
}

export interface EventsServiceDeps {
  config: Config;
  repo: EventsRepository;
  automations: AutomationsRepository;
  tasks: TasksRepository;
  media: MediaRepository;
  webhooks: WebhooksService;
  serializer: Serializer;
}

/** The task webhook body (spec §10.1 [INF]): the task, `results`, and the ids a receiver routes by. */
export function taskWebhookPayload(
  serializer: Serializer,
  task: TaskRow,
  output: FileRow | null,
): WireObject {
  return {
    ...serializer.task(task, output),
    results: output ? serializer.file(output) : (parseJson(task.results) ?? null),
    project_id: task.project_id,
    automation_id: task.automation_id,
    completed: task.completed,
  };
}

/** The options of the automatic poster task (kind `image`; a video's frame is taken 10% in). */
export const POSTER_OPTIONS = { width: 320, format: 'webp', quality: 75, ref: 'poster' } as const;

export function eventToWire(row: EventRow): WireObject {
  return { id: row.id, object: 'event', kind: row.kind, data: parseJson(row.data), created: row.created };
}

export class EventsService {
  constructor(private readonly deps: EventsServiceDeps) {}

  /** Writes the event and its fan-out in the caller's transaction. */
  async emit(tx: Tx, input: EmitInput): Promise<EventRow> {
    const row: EventRow = {
      id: newId('evt'),
      project_id: input.projectId,
      kind: input.kind,
      data: JSON.stringify(input.data),
      created: strictlyIncreasingNow(),
    };
    await this.deps.repo.insert(row, tx.db);
    await this.deps.webhooks.enqueueForEvent(tx, row, () => eventToWire(row));
    if (
      !input.fromAutomation &&
      (TRIGGER_EVENTS as readonly string[]).includes(input.kind) &&
      input.subject
    ) {
      const active = await tx.memo(`automations:${input.projectId}`, () =>
        this.deps.automations.activeIn(input.projectId, tx.db),
      );
      for (const automation of active) {
        if (automation.trigger_event === input.kind) await this.startRun(tx, automation, row, input.subject);
      }
    }
    return row;
  }

  /** A task's state change, as an event (no webhook_url delivery: see taskEnded). */
  async taskChanged(tx: Tx, kind: EventKind, task: TaskRow, output: FileRow | null = null): Promise<void> {
    await this.emit(tx, {
      projectId: task.project_id,
      kind,
      data: this.deps.serializer.task(task, output),
      subject: { fileId: output?.id ?? task.input_file_id, mediaId: task.media_id },
      fromAutomation: !triggersAutomations(task),
    });
  }

  /** A task reached completed or failed: its event, and the delivery to its own webhook_url if it has one. */
  async taskEnded(tx: Tx, task: TaskRow, output: FileRow | null): Promise<void> {
    if (task.status !== 'completed' && task.status !== 'failed') return;
    await this.taskChanged(tx, task.status === 'completed' ? 'task.completed' : 'task.failed', task, output);
    tx.signal('tasks', { type: 'finished', id: task.id, status: task.status });
    if (!task.webhook_url) return;
    await this.deps.webhooks.enqueueInTransaction(tx, {
      projectId: task.project_id,
      url: task.webhook_url,
      type: task.status === 'completed' ? 'task.completed' : 'task.failed',
      payload: taskWebhookPayload(this.deps.serializer, task, output),
      taskId: task.id,
    });
  }

  /** A file's or a media's change other than creation (updated, deleted). */
  async fileChanged(tx: Tx, kind: 'file.updated' | 'file.deleted', file: FileRow): Promise<void> {
    await this.emit(tx, { projectId: file.project_id, kind, data: this.deps.serializer.file(file) });
  }

  async mediaChanged(
    tx: Tx,
    kind: 'media.updated' | 'media.deleted',
    media: MediaRow,
    files: FileRow[],
  ): Promise<void> {
    await this.emit(tx, {
      projectId: media.project_id,
      kind,
      data: this.deps.serializer.media(media, files),
    });
  }

  /** A file was written: file.created, and media.created when it is its media's first (exactly once). */
  async fileCreated(tx: Tx, file: FileRow, opts: { fromAutomation?: boolean } = {}): Promise<void> {
    const subject = { fileId: file.id, mediaId: file.media_id };
    await this.emit(tx, {
      projectId: file.project_id,
      kind: 'file.created',
      data: this.deps.serializer.file(file),
      subject,
      fromAutomation: opts.fromAutomation,
    });
    if (!(await this.deps.media.announce(file.project_id, file.media_id, file.created, tx.db))) return;
    const media = await this.deps.media.getMedia(file.project_id, file.media_id, tx.db);
    if (!media) return;
    const files = await this.deps.media.filesOfMedia(file.project_id, [file.media_id], tx.db);
    await this.emit(tx, {
      projectId: file.project_id,
      kind: 'media.created',
      data: this.deps.serializer.media(media, files),
      subject,
      fromAutomation: opts.fromAutomation,
    });
    await this.queuePoster(tx, file);
  }

  /**
   * The automatic poster (MEDIARY_AUTO_POSTER): a new media whose original is a video or an image gets one
   * `image` task making a 320-px-wide WebP with ref "poster" (media.urls.poster). Only for an ingested
   * original (upload, URL, POST /files), never for a task's output, so a poster never makes a poster; the
   * task is mediary's own (created_by "mediary") and its changes trigger no automation. The poster goes in
   * its original's folder, so the folder's access (a private folder) is the poster's too.
   */
  private async queuePoster(tx: Tx, file: FileRow): Promise<void> {
    if (!this.deps.config.events.autoPoster) return;
    if (!file.original || file.object !== 'source') return;
    if (file.kind !== 'video' && file.kind !== 'image') return;
    const task = newTaskRow({
      projectId: file.project_id,
      kind: 'image',
      // next to its original: a private folder's video keeps a private poster (the project root may be public)
      options: { ...POSTER_OPTIONS, ...(file.folder ? { folder: file.folder } : {}) },
      input: file,
      priority: PRIORITY.automation,
      maxAttempts: this.deps.config.tasks.maxAttempts,
      createdBy: SYSTEM_CREATOR,
    });
    await this.deps.tasks.insert(task, tx.db);
    await this.taskChanged(tx, 'task.created', task);
    tx.signal('tasks', { type: 'queued' });
  }

  /** One run of an automation for one event: a workflow task over the event's file, queued behind API work. */
  private async startRun(
    tx: Tx,
    automation: AutomationRow,
    event: EventRow,
    subject: { fileId: string | null; mediaId: string | null },
  ): Promise<void> {
    const input = subject.fileId
      ? await tx.db
          .selectFrom('files')
          .selectAll()
          .where('project_id', '=', event.project_id)
          .where('id', '=', subject.fileId)
          .executeTakeFirst()
      : undefined;
    const task = newTaskRow({
      projectId: event.project_id,
      kind: 'workflow',
      options: {},
      input: input ?? null,
      mediaId: input?.media_id ?? subject.mediaId,
      priority: PRIORITY.automation,
      maxAttempts: this.deps.config.tasks.maxAttempts,
      createdBy: automation.id,
      automationId: automation.id,
      steps: automation.workflow,
      triggerEventId: event.id,
    });
    if (!(await this.deps.tasks.insertOnce(task, tx.db))) return;
    tx.signal('tasks', { type: 'queued' });
    await this.emit(tx, {
      projectId: event.project_id,
      kind: 'automation.triggered',
      data: { automation_id: automation.id, event_id: event.id, event_kind: event.kind, task_id: task.id },
      fromAutomation: true,
    });
  }

  async get(auth: AuthContext, id: string): Promise<WireObject> {
    const row = await this.deps.repo.get(auth.projectId, id);
    if (!row) throw notFound('event', id);
    return eventToWire(row);
  }

  async list(
    auth: AuthContext,
    page: Page,
    filter: EventFilter,
  ): Promise<{ items: WireObject[]; total: number }> {
    const { rows, total } = await this.deps.repo.list(auth.projectId, page, filter);
    return { items: rows.map(eventToWire), total };
  }

  /** G4 cursor pages: newest first, `after`/`before` an event id. */
  async listByCursor(
    auth: AuthContext,
    cursor: EventCursor,
    filter: EventFilter,
  ): Promise<{ items: WireObject[]; hasMore: boolean }> {
    const found = await this.deps.repo.listByCursor(auth.projectId, cursor, filter);
    if (!found) throw notFound('event', cursor.after ?? cursor.before ?? '');
    return { items: found.rows.map(eventToWire), hasMore: found.hasMore };
  }

  /** Deletes events past the retention period (MEDIARY_EVENT_RETENTION_DAYS). */
  prune(now = Date.now(), batch?: number): Promise<number> {
    const cutoff = new Date(now - this.deps.config.events.retentionDays * 86_400_000).toISOString();
    return this.deps.repo.prune(cutoff, batch);
  }

  /**
   * Prunes now and then every `everyMs` (`mediary start` runs it in every process: a prune that finds
   * nothing costs one indexed read, and two processes pruning at once delete each row once); the returned
   * function stops it.
   */
  startPruner(everyMs: number, onError: (err: Error) => void): () => void {
    return every(everyMs, () => this.prune(), onError, { now: true });
  }
}
