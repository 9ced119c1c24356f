// Every task of the project, newest first, filtered by status and kind (kept in the hash), updated live over
// SSE (no polling), with cancel and retry.
import { useState } from 'preact/hooks';
import { api, qs } from '../api';
import { useLive } from '../live';
import { replaceHashQuery, withParam } from '../media/hash';
import { applyTaskMessage, isFinal, TaskProgress } from '../media/tasks';
import { type KindInfo, TASK_STATUSES, type Task } from '../media/types';
import { usePagedList } from '../paged';
import { href, type Route } from '../router';
import { useSession } from '../session';
import { Button, Empty, ErrorNote, formatDate, PageHeader, Status, timeAgo, useLoad } from '../ui';
import './media.css';

const PAGE_SIZE = 25;

function TaskInput(props: { task: Task }) {
  const input = props.task.input;
  const mediaId = props.task.media_id ?? input?.media_id;
  if (!input && !mediaId) return <span class="muted">—</span>;
  const name = input?.filename ?? input?.id ?? input?.url ?? mediaId ?? '';
  if (mediaId) {
    return (
      <a href={href(`/media/${mediaId}`)} class="task-input" title={input?.id ?? mediaId}>
        {name}
      </a>
    );
  }
  return (
    <span class="task-input mono" title={name}>
      {name}
    </span>
  );
}

function TaskRow(props: { task: Task; onChange: (t: Task) => void }) {
  const t = props.task;
  const { toast } = useSession();
  const [busy, setBusy] = useState(false);
  const act = async (action: 'cancel' | 'retry') => {
    setBusy(true);
    try {
      props.onChange(await api<Task>('POST', `/tasks/${t.id}/${action}`));
      toast(action === 'cancel' ? 'Task cancelled' : 'Task queued again');
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-testid="task-row" data-task-id={t.id} data-status={t.status}>
      <td data-label="Status">
        <Status status={t.status} />
        {t.status === 'failed' && t.error && (
          <div class="task-error" data-testid="task-error">
            {t.error}
          </div>
        )}
      </td>
      <td data-label="Kind">
        <span class="mono">{t.kind}</span>
      </td>
      <td data-label="Progress">
        <TaskProgress task={t} />
      </td>
      <td data-label="Input">
        <TaskInput task={t} />
      </td>
      <td data-label="Created" title={formatDate(t.created)}>
        {timeAgo(t.created)}
      </td>
      <td class="actions">
        {!isFinal(t.status) && (
          <Button busy={busy} onClick={() => act('cancel')} aria-label={`Cancel task ${t.id}`}>
            Cancel
          </Button>
        )}
        {(t.status === 'failed' || t.status === 'cancelled') && (
          <Button busy={busy} onClick={() => act('retry')} aria-label={`Retry task ${t.id}`}>
            Retry
          </Button>
        )}
      </td>
    </tr>
  );
}

export function TasksPage(props: { route: Route }) {
  const query = props.route.query;
  const status = query.get('status') ?? '';
  const kind = query.get('kind') ?? '';
  const path = `/tasks${qs({ status, kind, limit: PAGE_SIZE })}`;
  const kinds = useLoad(() => api<Record<string, KindInfo>>('GET', '/tasks-config'), []);
  const {
    items: tasks,
    setItems: setTasks,
    total,
    setTotal,
    next,
    loading,
    more,
    error,
    loadMore,
  } = usePagedList<Task>(path);

  useLive((msg) => {
    if (!msg.type.startsWith('task.')) return;
    const accept = (t: Task) => (!status || t.status === status) && (!kind || t.kind === kind);
    setTasks((ts) => {
      const changed = applyTaskMessage(ts, msg, accept);
      if (changed && changed.length > ts.length) setTotal((n) => n + 1);
      return changed ?? ts;
    });
  });

  const set = (key: string, value: string) => replaceHashQuery('/tasks', withParam(query, key, value));
  const replace = (t: Task) => setTasks((ts) => ts.map((x) => (x.id === t.id ? t : x)));

  return (
    <div class="tasks-page">
      <PageHeader title="Tasks">
        <span class="muted" aria-live="polite">
          {loading ? '' : `${total} task${total === 1 ? '' : 's'}`}
        </span>
      </PageHeader>
      <form class="tasks-filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <label class="filter">
          <span class="field-label">Status</span>
          <select
            value={status}
            onChange={(e) => set('status', (e.target as HTMLSelectElement).value)}
            data-testid="tasks-status"
          >
            <option value="">All</option>
            {TASK_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label class="filter">
          <span class="field-label">Kind</span>
          <select
            value={kind}
            onChange={(e) => set('kind', (e.target as HTMLSelectElement).value)}
            data-testid="tasks-kind"
          >
            <option value="">All</option>
            {Object.keys(kinds.data ?? {}).map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
            {kind && !kinds.data?.[kind] && <option value={kind}>{kind}</option>}
          </select>
        </label>
        {(status || kind) && (
          <Button onClick={() => replaceHashQuery('/tasks', new URLSearchParams())}>Clear filters</Button>
        )}
      </form>
      <ErrorNote error={error} />
      {loading ? (
        <p class="loading">Loading tasks…</p>
      ) : tasks.length === 0 && !error ? (
        <Empty>{status || kind ? 'No tasks match these filters.' : 'No tasks yet.'}</Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="tasks-table" data-testid="tasks-table">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Input</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tasks.map((t) => (
                  <TaskRow key={t.id} task={t} onChange={replace} />
                ))}
              </tbody>
            </table>
          </div>
          {next && (
            <div class="load-more">
              <Button onClick={loadMore} busy={more} data-testid="tasks-more">
                {more ? 'Loading…' : 'Load more'}
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
