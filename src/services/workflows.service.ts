// Workflow tasks (spec §6.5): a parent whose steps are ordinary child tasks. The worker claims the parent
// like any task (so a URL input is ingested first); starting it queues the top-level steps, which run in
// parallel, and the parent waits — `processing`, holding no lease — until its last child ends. A step's
// `next` steps are queued in the transaction that completes it, with its output file as their input (a step
// without an output, like conditions or http, passes its own input on). Nothing here needs a scheduler of
// its own: children are queued with the parent's priority and claimed like any other task.
import { PermanentTaskError } from '../runners/runner.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { Tx } from '../store/queue.js';
import type { TaskRow, TasksRepository } from '../store/tasks.repository.js';
import type { EventsService } from './events.service.js';
import { parseJson } from './serializers.js';
import { newTaskRow } from './task-rows.js';
import { type Step, stepKind, stepNext, stepOptions } from './workflow-steps.js';

export interface WorkflowsServiceDeps {
  tasks: TasksRepository;
  media: MediaRepository;
  events: EventsService;
}

const ACTIVE = new Set(['pending', 'processing']);

export class WorkflowsService {
  constructor(private readonly deps: WorkflowsServiceDeps) {}

  /** Queues the parent's top-level steps over its input and leaves it processing without a lease. */
  async start(tx: Tx, parent: TaskRow, now: string): Promise<void> {
    const steps = parseJson<Step[]>(parent.steps) ?? [];
    if (steps.length === 0) throw new PermanentTaskError('The workflow has no steps.');
    const input = parent.input_file_id
      ? await this.deps.media.getFile(parent.project_id, parent.input_file_id, tx.db)
      : undefined;
    if (!input) throw new PermanentTaskError('A workflow needs an input file.');
    await this.deps.tasks.waitForChildren(tx.db, parent.id, parent.worker_id!, parent.attempts, now);
    await this.spawn(tx, parent, steps, input);
  }

  /**
   * Called in the transaction that ends a task (completed, failed or cancelled). For a workflow step it
   * queues the step's `next` steps and ends the parent when nothing of it is left to run.
   */
  async onTaskEnded(tx: Tx, task: TaskRow, output: FileRow | null): Promise<void> {
    if (!task.parent_id) return;
    // one finisher at a time per workflow: two steps ending at once must not both miss each other
    const parent = await this.deps.tasks.lockForUpdate(tx.db, task.parent_id);
    if (!parent || !ACTIVE.has(parent.status)) return;
    if (task.status === 'completed') {
      const next = parseJson<Step[]>(task.steps) ?? [];
      const results = parseJson<{ continue?: boolean }>(task.results);
      const proceed = task.kind !== 'conditions' || results?.continue === true;
      if (next.length > 0 && proceed) {
        const input =
          output && output.object === 'source'
            ? output
            : task.input_file_id
              ? await this.deps.media.getFile(task.project_id, task.input_file_id, tx.db)
              : undefined;
        if (input) await this.spawn(tx, parent, next, input);
      }
    }
    await this.settle(tx, parent);
  }

  /** The parent's state from its children's: still running, completed, or failed naming the step. */
  private async settle(tx: Tx, parent: TaskRow): Promise<void> {
    const children = await this.deps.tasks.children(parent.id, tx.db);
    const done = children.filter((c) => !ACTIVE.has(c.status));
    const ts = new Date().toISOString();
    if (done.length < children.length) {
      const progress = Math.floor((done.length / Math.max(1, children.length)) * 100);
      if (progress !== parent.progress)
        await this.deps.tasks.patch(tx.db, parent.id, { progress, updated: ts });
      return;
    }
    const broken =
      children.find((c) => c.status === 'failed') ?? children.find((c) => c.status === 'cancelled');
    const patch = broken
      ? {
          status: 'failed',
          error: `Step ${broken.kind} (${broken.id}) ${broken.status === 'failed' ? `failed: ${(broken.error ?? 'unknown error').replace(/\.$/, '')}` : 'was cancelled'}.`,
        }
      : { status: 'completed', error: null, progress: 100 };
    const ended = await this.deps.tasks.patch(tx.db, parent.id, {
      ...patch,
      eta: null,
      completed: ts,
      updated: ts,
    });
    if (ended) await this.deps.events.taskEnded(tx, ended, null);
  }

  private async spawn(tx: Tx, parent: TaskRow, steps: Step[], input: FileRow): Promise<void> {
    for (const step of steps) {
      const child = newTaskRow({
        projectId: parent.project_id,
        kind: stepKind(step.kind),
        options: stepOptions(step),
        input,
        mediaId: parent.media_id ?? input.media_id,
        priority: parent.priority,
        maxAttempts: parent.max_attempts,
        createdBy: parent.created_by,
        automationId: parent.automation_id,
        parentId: parent.id,
        steps: (stepNext(step)?.length ?? 0) > 0 ? JSON.stringify(stepNext(step)) : null,
      });
      await this.deps.tasks.insert(child, tx.db);
      await this.deps.events.taskChanged(tx, 'task.created', child);
    }
    tx.signal('tasks', { type: 'queued' });
  }

  /** Cancels the workflow's steps that have not ended (the parent is being cancelled). Returns their ids. */
  async cancelChildren(tx: Tx, parent: TaskRow, now: string): Promise<string[]> {
    const cancelled = await this.deps.tasks.cancelChildren(tx.db, parent.id, now);
    for (const child of cancelled) {
      await this.deps.events.taskChanged(tx, 'task.cancelled', child);
      tx.signal('tasks', { type: 'cancel', id: child.id });
    }
    return cancelled.map((c) => c.id);
  }

  /** Requeues the workflow's failed and cancelled steps; false when it has none (it never started). */
  async retryChildren(tx: Tx, parent: TaskRow, now: string): Promise<boolean> {
    const children = await this.deps.tasks.children(parent.id, tx.db);
    if (children.length === 0) return false;
    for (const child of children) {
      if (child.status !== 'failed' && child.status !== 'cancelled') continue;
      await this.deps.tasks.requeue(child.project_id, child.id, now, tx.db);
    }
    tx.signal('tasks', { type: 'queued' });
    return true;
  }
}
