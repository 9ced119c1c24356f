// The media library: filters kept in the hash (#/media?kind=video&q=…), a grid of cards with posters,
// keyset pagination, uploads (drop zone, file picker, URL ingest) and live updates over SSE.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, qs } from '../api';
import { useLive } from '../live';
import { replaceHashQuery, useDebounced, withParam } from '../media/hash';
import { MediaThumb } from '../media/thumb';
import { type Media, type MediaFile, mediaName, originalOf, payload, type Task } from '../media/types';
import { type UploadItem, useUploads } from '../media/upload';
import { usePagedList } from '../paged';
import { href, type Route } from '../router';
import { useSession } from '../session';
import { Button, Empty, ErrorNote, Field, formatBytes, formatDuration, PageHeader, Progress } from '../ui';
import './media.css';

const PAGE_SIZE = 24;

interface Filters {
  q: string;
  kind: string;
  folder: string;
  from: string;
  to: string;
}

function readFilters(query: URLSearchParams): Filters {
  return {
    q: query.get('q') ?? '',
    kind: query.get('kind') ?? '',
    folder: query.get('folder') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
}

/** The day after a YYYY-MM-DD date, so that "to" includes the whole day. */
function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function listPath(f: Filters): string {
  return `/media${qs({
    q: f.q.trim(),
    kind: f.kind,
    folder: f.folder.trim(),
    created_after: f.from,
    created_before: f.to ? dayAfter(f.to) : '',
    limit: PAGE_SIZE,
  })}`;
}

/** Does a media that just arrived belong in the list as filtered? (The server decides on reload.) */
function matches(m: Media, f: Filters): boolean {
  const orig = originalOf(m);
  if (f.kind && m.kind !== f.kind) return false;
  if (f.folder) {
    const folder = orig?.folder ?? '';
    if (f.folder.endsWith('/') ? !`${folder}/`.startsWith(f.folder) : folder !== f.folder) return false;
  }
  if (f.q) {
    const q = f.q.trim().toLowerCase();
    const hay = [m.title, m.alt, orig?.filename, ...Object.values(m.metadata ?? {})]
      .map((v) => String(v ?? '').toLowerCase())
      .join('\n');
    if (!hay.includes(q)) return false;
  }
  if (f.from && m.created < f.from) return false;
  if (f.to && m.created >= dayAfter(f.to)) return false;
  return true;
}

function MediaCard(props: { media: Media }) {
  const m = props.media;
  const name = mediaName(m);
  const orig = originalOf(m);
  const detail = m.duration ? formatDuration(m.duration) : formatBytes(orig?.filesize);
  return (
    <a class="media-card" href={href(`/media/${m.id}`)} data-testid="media-card" data-id={m.id}>
      <MediaThumb media={m} />
      <div class="media-meta">
        <div class="media-name" title={name}>
          {name}
        </div>
        <div class="muted">
          {m.kind ?? 'empty'} · {detail}
        </div>
      </div>
    </a>
  );
}

function UploadRow(props: { item: UploadItem; onCancel: () => void }) {
  const { item } = props;
  const finished = item.status === 'done' || item.status === 'error';
  const state =
    item.status === 'queued'
      ? 'waiting'
      : item.status === 'uploading'
        ? `${Math.round(item.progress)} %`
        : item.status === 'processing'
          ? 'finishing'
          : item.status === 'done'
            ? 'done'
            : 'failed';
  return (
    <li class="upload-row" data-testid="upload-row" data-status={item.status} data-via={item.via}>
      <div class="upload-name">
        <span class="upload-filename" title={item.name}>
          {item.name}
        </span>
        <span class="muted">
          {formatBytes(item.size)} · {state}
          {item.via === 'put' ? ' (PUT)' : ''}
        </span>
        {item.error && (
          <span class="field-error" role="alert">
            {item.error}
          </span>
        )}
      </div>
      <Progress value={item.progress} label={item.name} />
      <Button onClick={props.onCancel} aria-label={`${finished ? 'Dismiss' : 'Cancel'} ${item.name}`}>
        {finished ? 'Dismiss' : 'Cancel'}
      </Button>
    </li>
  );
}

function UrlIngest(props: { onMedia: (m: Media) => void }) {
  const { toast } = useSession();
  const [url, setUrl] = useState('');
  const [folder, setFolder] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const file = await api<MediaFile>('POST', '/files', {
        url: url.trim(),
        ...(folder.trim() ? { folder: folder.trim() } : {}),
      });
      if (file.media_id) props.onMedia(await api<Media>('GET', `/media/${file.media_id}`));
      toast(`Ingested ${file.filename ?? file.id}`);
      setUrl('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="ingest-form" onSubmit={submit} aria-label="Ingest from URL">
      <Field label="Ingest from URL">
        <input
          type="url"
          required
          placeholder="https://example.com/video.mp4"
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
          data-testid="ingest-url"
        />
      </Field>
      <Field label="Folder (optional)">
        <input
          type="text"
          value={folder}
          onInput={(e) => setFolder((e.target as HTMLInputElement).value)}
          placeholder="uploads"
        />
      </Field>
      <Button type="submit" kind="primary" busy={busy} data-testid="ingest-submit">
        {busy ? 'Fetching…' : 'Ingest'}
      </Button>
      <ErrorNote error={error} />
    </form>
  );
}

function Uploads(props: { onMedia: (m: Media) => void }) {
  const { session } = useSession();
  const uploads = useUploads(session.project.id, props.onMedia);
  const [over, setOver] = useState(false);
  const [folder, setFolder] = useState('');
  const input = useRef<HTMLInputElement>(null);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const files = e.dataTransfer?.files;
    if (files?.length) uploads.add(files, folder.trim());
  };

  return (
    <section class="panel uploads" aria-labelledby="uploads-title">
      <h2 id="uploads-title">Add media</h2>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping is the mouse's extra; the button next to it is the keyboard's way */}
      <div
        class={`dropzone ${over ? 'over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>Drop files here, or</p>
        <label class="btn btn-primary upload-button">
          Upload files
          <input
            ref={input}
            class="visually-hidden"
            type="file"
            multiple
            data-testid="upload-input"
            onChange={(e) => {
              const el = e.target as HTMLInputElement;
              if (el.files?.length) uploads.add(el.files, folder.trim());
              el.value = '';
            }}
          />
        </label>
        <label class="upload-folder">
          <span>to folder</span>
          <input
            type="text"
            value={folder}
            placeholder="(none)"
            aria-label="Upload to folder"
            onInput={(e) => setFolder((e.target as HTMLInputElement).value)}
          />
        </label>
      </div>
      {uploads.items.length > 0 && (
        <ul class="upload-list" aria-label="Uploads">
          {uploads.items.map((i) => (
            <UploadRow key={i.key} item={i} onCancel={() => uploads.cancel(i.key)} />
          ))}
        </ul>
      )}
      <UrlIngest onMedia={props.onMedia} />
    </section>
  );
}

function FilterBar(props: { query: URLSearchParams; filters: Filters }) {
  const { query, filters } = props;
  const [q, setQ] = useState(filters.q);
  const [folder, setFolder] = useState(filters.folder);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => setFolder(filters.folder), [filters.folder]);
  const set = (key: string, value: string) => replaceHashQuery('/media', withParam(query, key, value));
  useDebounced(q, 300, (v) => set('q', v));
  useDebounced(folder, 400, (v) => set('folder', v));
  const any = Object.values(filters).some(Boolean);
  return (
    <form class="filters" aria-label="Filter media" onSubmit={(e) => e.preventDefault()}>
      <label class="filter filter-q">
        <span class="field-label">Search</span>
        <input
          type="search"
          value={q}
          placeholder="name, title, alt, metadata"
          onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          data-testid="media-search"
        />
      </label>
      <label class="filter">
        <span class="field-label">Kind</span>
        <select
          value={filters.kind}
          onChange={(e) => set('kind', (e.target as HTMLSelectElement).value)}
          data-testid="media-kind"
        >
          <option value="">All</option>
          <option value="video">Video</option>
          <option value="image">Image</option>
          <option value="audio">Audio</option>
        </select>
      </label>
      <label class="filter">
        <span class="field-label">Folder</span>
        <input
          type="text"
          value={folder}
          placeholder="uploads/"
          onInput={(e) => setFolder((e.target as HTMLInputElement).value)}
          data-testid="media-folder"
        />
      </label>
      <label class="filter">
        <span class="field-label">From</span>
        <input
          type="date"
          value={filters.from}
          onChange={(e) => set('from', (e.target as HTMLInputElement).value)}
        />
      </label>
      <label class="filter">
        <span class="field-label">To</span>
        <input
          type="date"
          value={filters.to}
          onChange={(e) => set('to', (e.target as HTMLInputElement).value)}
        />
      </label>
      {any && (
        <Button onClick={() => replaceHashQuery('/media', new URLSearchParams())} class="filter-clear">
          Clear filters
        </Button>
      )}
    </form>
  );
}

export function MediaPage(props: { route: Route }) {
  const filters = readFilters(props.route.query);
  const path = listPath(filters);
  const { items, setItems, total, setTotal, next, loading, more, error, loadMore } = usePagedList<Media>(
    path,
    {
      keysetFallback: true,
    },
  );
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const refetching = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  /** A media that is new or changed: replaced where it is, else put first when it matches the filters. */
  const upsert = (m: Media) => {
    setItems((list) => {
      const i = list.findIndex((x) => x.id === m.id);
      if (i >= 0) return list.map((x) => (x.id === m.id ? m : x));
      if (!matches(m, filters)) return list;
      setTotal((t) => t + 1);
      return [m, ...list];
    });
  };

  /** Fetch a media again (a burst of events for one media makes one request). */
  const refetch = (id: string) => {
    const timers = refetching.current;
    if (timers.has(id)) return;
    timers.set(
      id,
      setTimeout(async () => {
        timers.delete(id);
        try {
          upsert(await api<Media>('GET', `/media/${id}`));
        } catch {
          // deleted meanwhile: its media.deleted event removes it
        }
      }, 250),
    );
  };

  useEffect(
    () => () => {
      for (const t of refetching.current.values()) clearTimeout(t);
    },
    [],
  );

  useLive((msg) => {
    const has = (id: string | undefined) => Boolean(id && itemsRef.current.some((m) => m.id === id));
    switch (msg.type) {
      case 'media.created':
      case 'media.updated': {
        const m = payload<Media>(msg.data);
        if (m?.id && Array.isArray(m.files)) upsert(m);
        break;
      }
      case 'media.deleted': {
        const m = payload<Media>(msg.data);
        if (m?.id && has(m.id)) {
          setItems((list) => list.filter((x) => x.id !== m.id));
          setTotal((t) => Math.max(0, t - 1));
        }
        break;
      }
      case 'file.created':
      case 'file.updated': {
        const f = payload<MediaFile>(msg.data);
        if (f?.media_id && (has(f.media_id) || f.original)) refetch(f.media_id);
        break;
      }
      case 'task.completed': {
        const t = payload<Task>(msg.data);
        if (t?.media_id && has(t.media_id)) refetch(t.media_id);
        break;
      }
    }
  });

  return (
    <div class="media-page">
      <PageHeader title="Media">
        <span class="muted" aria-live="polite">
          {loading ? '' : `${total} media`}
        </span>
      </PageHeader>
      <Uploads onMedia={upsert} />
      <FilterBar query={props.route.query} filters={filters} />
      <ErrorNote error={error} />
      {loading ? (
        <p class="loading">Loading media…</p>
      ) : items.length === 0 && !error ? (
        <Empty>
          {Object.values(filters).some(Boolean)
            ? 'No media match these filters.'
            : 'No media yet. Upload files or ingest a URL above.'}
        </Empty>
      ) : (
        <>
          <div class="media-grid" data-testid="media-grid">
            {items.map((m) => (
              <MediaCard key={m.id} media={m} />
            ))}
          </div>
          {(next || (items.length > 0 && items.length < total)) && (
            <div class="load-more">
              <Button onClick={loadMore} busy={more} data-testid="media-more">
                {more ? 'Loading…' : 'Load more'}
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
