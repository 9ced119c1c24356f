// One media: the player, every file with its facts and links (plain and signed), title/alt/metadata
// editing, deletion, "Run a task", and the media's tasks with live progress.
import { type ComponentChildren, Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, list, qs } from '../api';
import { useLive } from '../live';
import { Player } from '../media/player';
import { useViewUrl } from '../media/signed';
import { applyTaskMessage, isFinal, TaskForm, TaskProgress } from '../media/tasks';
import { type Media, type MediaFile, mediaName, payload, type Task } from '../media/types';
import { href, navigate } from '../router';
import { useSession } from '../session';
import {
  Button,
  CopyButton,
  Empty,
  ErrorNote,
  Field,
  formatBytes,
  formatDate,
  formatDuration,
  Modal,
  PageHeader,
  Status,
  timeAgo,
} from '../ui';
import './media.css';

const EXPIRIES: { label: string; seconds: number }[] = [
  { label: '1 hour', seconds: 3600 },
  { label: '24 hours', seconds: 24 * 3600 },
  { label: '7 days', seconds: 7 * 24 * 3600 },
];

function SignedUrl(props: { file: MediaFile }) {
  const f = props.file;
  const [expiry, setExpiry] = useState(EXPIRIES[0].seconds);
  const [url, setUrl] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const sign = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = await api<{ url: string }>('POST', '/signatures', {
        filename: f.filename ?? f.id,
        ...(f.folder ? { folder: f.folder } : {}),
        method: 'get',
        expiry: Math.floor(Date.now() / 1000) + expiry,
      });
      setUrl(s.url);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signed-url">
      <label>
        <span class="visually-hidden">Signed URL expiry for {f.filename ?? f.id}</span>
        <select
          value={String(expiry)}
          onChange={(e) => {
            setExpiry(Number((e.target as HTMLSelectElement).value));
            setUrl(null);
          }}
        >
          {EXPIRIES.map((x) => (
            <option key={x.seconds} value={String(x.seconds)}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      <Button onClick={sign} busy={busy} data-testid="sign-url">
        Signed URL
      </Button>
      {url && (
        <>
          <code data-testid="signed-url">{url}</code>
          <CopyButton text={url} label="Copy signed URL" />
        </>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

function FileFacts(props: { file: MediaFile }) {
  const f = props.file;
  const facts: [string, string | undefined][] = [
    ['kind', f.kind],
    ['object', f.object],
    ['type', f.type],
    ['size', formatBytes(f.filesize)],
    ['dimensions', f.width && f.height ? `${f.width} × ${f.height}` : undefined],
    ['duration', f.duration !== undefined ? formatDuration(f.duration) : undefined],
    ['codec', f.codec],
    ['fps', f.fps !== undefined ? String(f.fps) : undefined],
    ['language', f.language],
    ['ref', f.ref],
    ['label', f.label],
    ['folder', f.folder],
    ['status', f.status],
    ['id', f.id],
    ['created', formatDate(f.created)],
  ];
  return (
    <dl class="facts">
      {facts
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
    </dl>
  );
}

/** A link that opens a file: by a signed URL when the file is private. */
function FileLink(props: { file: MediaFile; class?: string; children: ComponentChildren }) {
  const url = useViewUrl(props.file.url) ?? props.file.url;
  return (
    <a class={props.class} href={url} target="_blank" rel="noopener noreferrer" data-testid="file-link">
      {props.children}
    </a>
  );
}

function FileItem(props: { file: MediaFile }) {
  const f = props.file;
  return (
    <li class="file-item" data-testid="file-item" data-file-id={f.id}>
      <div class="file-head">
        <strong>{f.filename ?? f.id}</strong>
        {f.original && <span class="status">original</span>}
      </div>
      <FileFacts file={f} />
      <div class="file-actions">
        <FileLink class="btn btn-plain" file={f}>
          Open
        </FileLink>
        <CopyButton text={f.url} label="Copy URL" />
      </div>
      <SignedUrl file={f} />
    </li>
  );
}

interface MetaRow {
  key: string;
  value: string;
  /** the value as loaded, kept as it is (its type too) when unchanged */
  orig?: unknown;
}

function EditForm(props: { media: Media; onSaved: (m: Media) => void }) {
  const { toast } = useSession();
  const m = props.media;
  const rowsOf = (md: Media['metadata']): MetaRow[] =>
    Object.entries(md ?? {}).map(([key, v]) => ({ key, value: v === null ? '' : String(v), orig: v }));
  const [title, setTitle] = useState(m.title ?? '');
  const [alt, setAlt] = useState(m.alt ?? '');
  const [rows, setRows] = useState<MetaRow[]>(() => rowsOf(m.metadata));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const setRow = (i: number, change: Partial<MetaRow>) =>
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...change } : r)));

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const metadata: Record<string, unknown> = {};
      for (const k of Object.keys(m.metadata ?? {})) metadata[k] = null;
      for (const r of rows) {
        const key = r.key.trim();
        if (!key) continue;
        metadata[key] = r.orig !== undefined && String(r.orig ?? '') === r.value ? r.orig : r.value;
      }
      const saved = await api<Media>('PATCH', `/media/${m.id}`, {
        title: title.trim() || null,
        alt: alt.trim() || null,
        metadata,
      });
      props.onSaved(saved);
      setRows(rowsOf(saved.metadata));
      toast('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} data-testid="media-edit">
      <Field label="Title">
        <input
          type="text"
          data-testid="media-title"
          value={title}
          maxLength={1000}
          onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
        />
      </Field>
      <Field label="Alt text">
        <input
          type="text"
          value={alt}
          maxLength={2000}
          onInput={(e) => setAlt((e.target as HTMLInputElement).value)}
        />
      </Field>
      <fieldset class="metadata">
        <legend class="field-label">Metadata</legend>
        {rows.map((r, i) => (
          <div class="meta-row" key={i}>
            <input
              type="text"
              aria-label={`Metadata key ${i + 1}`}
              placeholder="key"
              value={r.key}
              onInput={(e) => setRow(i, { key: (e.target as HTMLInputElement).value })}
            />
            <input
              type="text"
              aria-label={`Metadata value ${i + 1}`}
              placeholder="value"
              value={r.value}
              onInput={(e) => setRow(i, { value: (e.target as HTMLInputElement).value, orig: undefined })}
            />
            <Button
              aria-label={`Remove metadata ${r.key || i + 1}`}
              onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}
            >
              ✕
            </Button>
          </div>
        ))}
        <Button onClick={() => setRows((rs) => [...rs, { key: '', value: '' }])}>Add metadata</Button>
      </fieldset>
      <div class="row">
        <Button type="submit" kind="primary" busy={busy} data-testid="media-save">
          Save
        </Button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

function TaskItem(props: { task: Task }) {
  const t = props.task;
  return (
    <li class="task-item" data-testid="task-row" data-task-id={t.id} data-status={t.status}>
      <div>
        <strong>{t.kind}</strong> <Status status={t.status} />{' '}
        <span class="muted">
          {timeAgo(t.created)}
          {t.output ? ' · ' : ''}
        </span>
        {t.output && <FileLink file={t.output}>{t.output.filename ?? t.output.id}</FileLink>}
      </div>
      <TaskProgress task={t} />
      {t.status === 'failed' && t.error && <p class="task-error">{t.error}</p>}
    </li>
  );
}

function MediaTasks(props: { media: Media; tasks: Task[] | null; error: unknown }) {
  if (props.error) return <ErrorNote error={props.error} />;
  if (!props.tasks) return <p class="muted">Loading tasks…</p>;
  if (!props.tasks.length) return <p class="muted">No tasks on this media yet.</p>;
  return (
    <ul class="file-list" data-testid="media-tasks">
      {props.tasks.map((t) => (
        <TaskItem key={t.id} task={t} />
      ))}
    </ul>
  );
}

export function MediaDetailPage(props: { id: string }) {
  const { id } = props;
  const { toast } = useSession();
  const [media, setMedia] = useState<Media | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [tasksError, setTasksError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [formKey, setFormKey] = useState(0);

  const loadMedia = () =>
    api<Media>('GET', `/media/${encodeURIComponent(id)}`).then(
      (m) => {
        setMedia(m);
        setError(null);
      },
      (err) => setError(err),
    );

  useEffect(() => {
    setMedia(null);
    setTasks(null);
    void loadMedia();
    // this media's tasks (on its files, or writing to it), newest first: GET /tasks?media_id
    list<Task>(`/tasks${qs({ media_id: id, limit: 100 })}`).then(
      (r) => setTasks(r.items),
      (err) => setTasksError(err),
    );
  }, [id]);

  useLive((msg) => {
    if (msg.type.startsWith('task.')) {
      setTasks((list) => {
        if (!list) return list;
        return applyTaskMessage(list, msg, (t) => t.media_id === id) ?? list;
      });
      if (msg.type === 'task.completed') {
        const t = payload<Task>(msg.data);
        if (t?.media_id === id) void loadMedia();
      }
      return;
    }
    const obj = payload<{ id?: string; media_id?: string }>(msg.data);
    if (msg.type === 'media.updated' && obj?.id === id) setMedia(obj as Media);
    else if (msg.type === 'media.deleted' && obj?.id === id) {
      toast('This media was deleted');
      navigate('/media');
    } else if (msg.type.startsWith('file.') && obj?.media_id === id) void loadMedia();
  });

  const remove = async () => {
    setDeleting(true);
    try {
      await api('DELETE', `/media/${encodeURIComponent(id)}`);
      toast('Media deleted');
      navigate('/media');
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setDeleting(false);
    }
  };

  if (error && !media) {
    return (
      <>
        <PageHeader title="Media" />
        {error instanceof ApiError && error.status === 404 ? (
          <Empty>
            This media does not exist (or was deleted). <a href={href('/media')}>Back to the library</a>
          </Empty>
        ) : (
          <ErrorNote error={error} />
        )}
      </>
    );
  }
  if (!media) return <p class="loading">Loading…</p>;
  const running = tasks?.filter((t) => !isFinal(t.status)).length ?? 0;

  return (
    <div class="media-detail" data-testid="media-detail">
      <p>
        <a href={href('/media')}>← Library</a>
      </p>
      <PageHeader title={mediaName(media)}>
        <Button kind="danger" onClick={() => setConfirming(true)} data-testid="media-delete">
          Delete
        </Button>
      </PageHeader>
      <ErrorNote error={error} />
      <div class="detail-grid">
        <div>
          <section class="panel" aria-label="Player">
            <Player media={media} />
            <p class="muted">
              {media.kind ?? 'empty'}
              {media.width && media.height ? ` · ${media.width} × ${media.height}` : ''}
              {media.duration ? ` · ${formatDuration(media.duration)}` : ''} · created{' '}
              {formatDate(media.created)}
            </p>
          </section>
          <section class="panel" aria-labelledby="files-title">
            <h2 id="files-title">Files ({media.files.length})</h2>
            {media.files.length ? (
              <ul class="file-list">
                {media.files.map((f) => (
                  <FileItem key={f.id} file={f} />
                ))}
              </ul>
            ) : (
              <p class="muted">No files.</p>
            )}
          </section>
        </div>
        <div>
          <section class="panel" aria-labelledby="tasks-title">
            <h2 id="tasks-title">Tasks{running ? ` (${running} running)` : ''}</h2>
            <MediaTasks media={media} tasks={tasks} error={tasksError} />
          </section>
          <section class="panel" aria-labelledby="run-title">
            <h2 id="run-title">Run a task</h2>
            <TaskForm
              key={`${media.id}-${formKey}`}
              media={media}
              onCreated={(t) => {
                setTasks((list) => (list?.some((x) => x.id === t.id) ? list : [t, ...(list ?? [])]));
                setFormKey((k) => k + 1);
              }}
            />
          </section>
          <section class="panel" aria-labelledby="edit-title">
            <h2 id="edit-title">Details</h2>
            <EditForm key={media.id} media={media} onSaved={setMedia} />
          </section>
        </div>
      </div>
      <Modal title="Delete this media?" open={confirming} onClose={() => setConfirming(false)}>
        <p>
          {mediaName(media)} and its {media.files.length} file{media.files.length === 1 ? '' : 's'} will be
          deleted, with their bytes. This cannot be undone.
        </p>
        <div class="row">
          <Button kind="danger" busy={deleting} onClick={remove} data-testid="media-delete-confirm">
            Delete
          </Button>
          <Button onClick={() => setConfirming(false)}>Keep it</Button>
        </div>
      </Modal>
    </div>
  );
}
