// One task (#/tasks/<id>): its status, progress and error, what it read and made, its options and results,
// a workflow's steps, updated live; cancel and retry. Webhook deliveries and automation runs link here.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useLive } from '../live';
import { applyTaskMessage, isFinal, TaskProgress } from '../media/tasks';
import { payload, type Task } from '../media/types';
import { href } from '../router';
import { useSession } from '../session';
import { Button, Empty, ErrorNote, formatDate, PageHeader, Status, useLoad } from '../ui';

interface TaskDetail extends Task {
  results?: unknown;
  started?: string | null;
  completed?: string | null;
  created_by?: string | null;
  /** a workflow's steps */
  workflow?: Task[];
}

function Json(props: { value: unknown }) {
  return <pre class="mono">{JSON.stringify(props.value, null, 2)}</pre>;
}

export function TaskDetailPage(props: { id: string }) {
  const { toast } = useSession();
  const task = useLoad(() => api<TaskDetail>('GET', `/tasks/${encodeURIComponent(props.id)}`), [props.id]);
  const [busy, setBusy] = useState(false);

  useLive((m) => {
    const t = task.data;
    if (!t) return;
    const next = applyTaskMessage([t], m, () => false);
    if (next) {
      task.set({ ...t, ...next[0] });
      return;
    }
    // a step of this workflow changed: read the workflow again (it lists its steps)
    if (m.type === 'task.progress') return;
    const changed = payload<Task>(m.data)?.id;
    if (changed && t.workflow?.some((s) => s.id === changed)) task.reload();
  });

  const act = async (action: 'cancel' | 'retry') => {
    setBusy(true);
    try {
      task.set(await api<TaskDetail>('POST', `/tasks/${encodeURIComponent(props.id)}/${action}`));
      toast(action === 'cancel' ? 'Task cancelled' : 'Task queued again');
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'error');
    } finally {
      setBusy(false);
    }
  };

  const t = task.data;
  return (
    <>
      <p>
        <a href={href('/tasks')}>← All tasks</a>
      </p>
      <PageHeader title={t ? `${t.kind} task` : 'Task'}>
        {t && !isFinal(t.status) && (
          <Button busy={busy} onClick={() => act('cancel')}>
            Cancel
          </Button>
        )}
        {t && (t.status === 'failed' || t.status === 'cancelled') && (
          <Button busy={busy} onClick={() => act('retry')}>
            Retry
          </Button>
        )}
      </PageHeader>
      {task.loading && !t && <p class="loading">Loading…</p>}
      <ErrorNote error={task.error} />
      {t && (
        <div class="grid-2" data-testid="task-detail" data-status={t.status}>
          <section class="panel" aria-labelledby="task-state">
            <h2 id="task-state">State</h2>
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <Status status={t.status} />
              </dd>
              <dt>Progress</dt>
              <dd>
                <TaskProgress task={t} />
              </dd>
              <dt>Id</dt>
              <dd class="mono">{t.id}</dd>
              <dt>Created</dt>
              <dd>{formatDate(t.created)}</dd>
              {t.started && (
                <>
                  <dt>Started</dt>
                  <dd>{formatDate(t.started)}</dd>
                </>
              )}
              {t.completed && (
                <>
                  <dt>Finished</dt>
                  <dd>{formatDate(t.completed)}</dd>
                </>
              )}
              {t.created_by && (
                <>
                  <dt>Made by</dt>
                  <dd class="mono">{t.created_by}</dd>
                </>
              )}
              {t.parent_id && (
                <>
                  <dt>Part of</dt>
                  <dd>
                    <a href={href(`/tasks/${t.parent_id}`)}>{t.parent_id}</a>
                  </dd>
                </>
              )}
              {(t.media_id ?? t.input?.media_id) && (
                <>
                  <dt>Media</dt>
                  <dd>
                    <a href={href(`/media/${t.media_id ?? t.input?.media_id}`)}>
                      {t.media_id ?? t.input?.media_id}
                    </a>
                  </dd>
                </>
              )}
            </dl>
            {t.status === 'failed' && t.error && (
              <p class="error-note" role="alert" data-testid="task-error">
                {t.error}
              </p>
            )}
          </section>
          <section class="panel" aria-labelledby="task-io">
            <h2 id="task-io">Input and output</h2>
            <h3>Input</h3>
            {t.input ? <Json value={t.input} /> : <p class="muted">None</p>}
            <h3>Output</h3>
            {t.output ? <Json value={t.output} /> : <p class="muted">None yet</p>}
          </section>
          <section class="panel" aria-labelledby="task-options">
            <h2 id="task-options">Options</h2>
            <Json value={t.options} />
            {t.results !== undefined && t.results !== null && (
              <>
                <h3>Results</h3>
                <Json value={t.results} />
              </>
            )}
          </section>
          {t.kind === 'workflow' && (
            <section class="panel" aria-labelledby="task-steps">
              <h2 id="task-steps">Steps</h2>
              {(t.workflow ?? []).length === 0 && <Empty>No steps have started.</Empty>}
              <ul>
                {(t.workflow ?? []).map((s) => (
                  <li key={s.id}>
                    <a href={href(`/tasks/${s.id}`)}>{s.kind}</a> <Status status={s.status} />
                    {s.error && <span class="field-error"> {s.error}</span>}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
      )}
    </>
  );
}
