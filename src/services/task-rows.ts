// The one place a new `tasks` row is put together: API tasks, automation runs and workflow steps all queue
// rows of the same shape, due at once.
import { newId } from '../lib/ids.js';
import { now } from '../lib/time.js';
import type { FileRow } from '../store/media.repository.js';
import { DUE_NOW, PRIORITY, type TaskRow } from '../store/tasks.repository.js';

/** created_by of the tasks mediary queues by itself (the automatic poster, docs/tasks.md) */
export const SYSTEM_CREATOR = 'mediary';

/**
 * Whether a task's changes (its events, its outputs' file.created) may trigger automations: not for an
 * automation's own run, nor for a task mediary queued by itself, so neither can set anything off in a loop.
 */
export function triggersAutomations(task: Pick<TaskRow, 'automation_id' | 'created_by'>): boolean {
  return task.automation_id === null && task.created_by !== SYSTEM_CREATOR;
}

export interface NewTask {
  projectId: string;
  kind: string;
  /** as submitted (flat keys + `options` merged), validated by the kind's schema */
  options: Record<string, unknown>;
  /** the input file, when there is one; its row is kept as the task's input snapshot */
  input?: FileRow | null;
  /** a URL input, fetched by the worker before the runner starts */
  url?: string | null;
  mediaId?: string | null;
  webhookUrl?: string | null;
  priority?: number;
  maxAttempts: number;
  createdBy: string | null;
  automationId?: string | null;
  parentId?: string | null;
  /** JSON text of the workflow steps the task starts when it completes */
  steps?: string | null;
  triggerEventId?: string | null;
}

export function newTaskRow(t: NewTask): TaskRow {
  const ts = now();
  return {
    id: newId('task'),
    project_id: t.projectId,
    kind: t.kind,
    status: 'pending',
    options: JSON.stringify(t.options),
    input_file_id: t.input?.id ?? null,
    input_url: t.input ? null : (t.url ?? null),
    input_snapshot: t.input ? JSON.stringify(t.input) : null,
    media_id: t.mediaId ?? t.input?.media_id ?? null,
    output_file_id: null,
    results: null,
    webhook_url: t.webhookUrl || null,
    error: null,
    progress: 0,
    eta: null,
    priority: t.priority ?? PRIORITY.interactive,
    attempts: 0,
    max_attempts: t.maxAttempts,
    run_after: DUE_NOW,
    lease_until: null,
    worker_id: null,
    created_by: t.createdBy,
    automation_id: t.automationId ?? null,
    parent_id: t.parentId ?? null,
    steps: t.steps ?? null,
    trigger_event_id: t.triggerEventId ?? null,
    started: null,
    completed: null,
    created: ts,
    updated: ts,
  };
}
