// Tasks on the pages: live state from SSE applied to a list, the progress cell, and the "Run a task" form
// generated from GET /tasks-config.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { LiveMessage } from '../live';
import { useSession } from '../session';
import { Button, ErrorNote, Field, Progress, Status, useLoad } from '../ui';
import {
  formatEta,
  type KindInfo,
  type Media,
  type MediaFile,
  type OptionInfo,
  payload,
  type Task,
} from './types';

const TASK_EVENTS = ['task.created', 'task.processing', 'task.completed', 'task.failed', 'task.cancelled'];

/**
 * Applies one live message to a list of tasks. `accept` says whether a task not in the list belongs in it
 * (task.created of a matching task): it is put first.
 */
export function applyTaskMessage(
  list: Task[],
  msg: LiveMessage,
  accept: (t: Task) => boolean,
): Task[] | null {
  if (msg.type === 'task.progress') {
    const p = msg.data as { id?: string; status?: string; progress?: number; eta?: number | null };
    if (!p?.id || !list.some((t) => t.id === p.id)) return null;
    return list.map((t) =>
      t.id === p.id && !isFinal(t.status)
        ? {
            ...t,
            status: p.status ?? t.status,
            progress: p.progress ?? t.progress,
            eta: p.eta ?? null,
          }
        : t,
    );
  }
  if (!TASK_EVENTS.includes(msg.type)) return null;
  const task = payload<Task>(msg.data);
  if (!task?.id) return null;
  const i = list.findIndex((t) => t.id === task.id);
  if (i >= 0) {
    // events can arrive after a later state was shown: never go back from a final state to a running one
    if (isFinal(list[i].status) && !isFinal(task.status) && list[i].updated >= task.updated) return null;
    return list.map((t) => (t.id === task.id ? task : t));
  }
  return accept(task) ? [task, ...list] : null;
}

export function isFinal(status: string): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export function TaskProgress(props: { task: Task }) {
  const t = props.task;
  if (t.status === 'completed') return <Progress value={100} label={`${t.kind} ${t.id} progress`} />;
  if (isFinal(t.status)) return null;
  return (
    <div class="task-progress">
      <Progress value={t.progress ?? 0} label={`${t.kind} ${t.id} progress`} />
      {t.status === 'processing' && (
        <span class="muted eta">
          {Math.round(t.progress ?? 0)} %
          {t.eta !== null && t.eta !== undefined ? ` · ${formatEta(t.eta)}` : ''}
        </span>
      )}
    </div>
  );
}

export { Status };

type FieldValue = string | boolean;

function initialValue(o: OptionInfo): FieldValue {
  if (o.type === 'boolean') return o.default === true;
  return '';
}

/** The value a filled field sends, or undefined when it is left at the default. */
function toOption(o: OptionInfo, v: FieldValue): unknown {
  if (o.type === 'boolean') return v === (o.default === true) ? undefined : v;
  const s = String(v).trim();
  if (!s) return undefined;
  if (o.values) {
    const hit = o.values.find((x) => String(x) === s);
    return hit ?? s;
  }
  if (o.type === 'number' || o.type === 'integer') return Number(s);
  if (o.type.includes('|') || o.type === 'object' || o.type === 'array' || o.type === 'any') {
    if (/^[[{]/.test(s) || /^-?\d+(\.\d+)?$/.test(s) || s === 'true' || s === 'false') {
      try {
        return JSON.parse(s);
      } catch {
        return s;
      }
    }
  }
  return s;
}

function OptionField(props: {
  name: string;
  info: OptionInfo;
  value: FieldValue;
  set: (v: FieldValue) => void;
}) {
  const { name, info, value, set } = props;
  const hint = [info.description, info.default !== undefined ? `default ${JSON.stringify(info.default)}` : '']
    .filter(Boolean)
    .join(' · ');
  let control: JSX.Element;
  if (info.values) {
    control = (
      <select name={name} value={String(value)} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        <option value="">(default)</option>
        {info.values.map((v) => (
          <option key={String(v)} value={String(v)}>
            {String(v)}
          </option>
        ))}
      </select>
    );
  } else if (info.type === 'boolean') {
    control = (
      <input
        type="checkbox"
        name={name}
        checked={value === true}
        onChange={(e) => set((e.target as HTMLInputElement).checked)}
      />
    );
  } else if (info.type === 'number' || info.type === 'integer') {
    control = (
      <input
        type="number"
        name={name}
        min={info.min}
        max={info.max}
        step={info.type === 'integer' ? 1 : 'any'}
        value={String(value)}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
      />
    );
  } else {
    control = (
      <input
        type="text"
        name={name}
        value={String(value)}
        pattern={info.type === 'string' ? info.pattern : undefined}
        onInput={(e) => set((e.target as HTMLInputElement).value)}
      />
    );
  }
  return (
    <Field label={name} hint={hint || undefined}>
      {control}
    </Field>
  );
}

/** "Run a task" on a media: pick a kind (those taking this media's kind), its options, the input file. */
export function TaskForm(props: { media: Media; onCreated: (t: Task) => void }) {
  const { toast } = useSession();
  const config = useLoad(() => api<Record<string, KindInfo>>('GET', '/tasks-config'), []);
  const sources = props.media.files.filter((f) => f.object === 'source' && (f.status ?? 'ready') === 'ready');
  const original = sources.find((f) => f.original) ?? sources[0];
  const [fileId, setFileId] = useState(original?.id ?? '');
  const input: MediaFile | undefined = sources.find((f) => f.id === fileId) ?? original;
  const [kind, setKind] = useState('');
  const [values, setValues] = useState<Record<string, FieldValue>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  if (config.loading) return <p class="muted">Loading task kinds…</p>;
  if (config.error) return <ErrorNote error={config.error} />;
  if (!input) return <p class="muted">This media has no file to run a task on.</p>;
  const kinds = Object.entries(config.data ?? {}).filter(([, k]) => k.inputs.includes(input.kind));
  const info = kinds.find(([k]) => k === kind)?.[1];

  const choose = (k: string) => {
    setKind(k);
    const next: Record<string, FieldValue> = {};
    const opts = config.data?.[k]?.options ?? {};
    for (const [name, o] of Object.entries(opts)) next[name] = initialValue(o);
    setValues(next);
    setError(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!info) return;
    setBusy(true);
    setError(null);
    try {
      const options: Record<string, unknown> = {};
      for (const [name, o] of Object.entries(info.options)) {
        const v = toOption(o, values[name] ?? initialValue(o));
        if (v !== undefined) options[name] = v;
      }
      const task = await api<Task>('POST', '/tasks', { kind, file_id: input.id, options });
      props.onCreated(task);
      toast(`${kind} task created`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="task-form" onSubmit={submit} data-testid="task-form">
      {sources.length > 1 && (
        <Field label="Input file">
          <select value={input.id} onChange={(e) => setFileId((e.target as HTMLSelectElement).value)}>
            {sources.map((f) => (
              <option key={f.id} value={f.id}>
                {f.filename ?? f.id} ({f.kind}
                {f.ref ? `, ${f.ref}` : ''})
              </option>
            ))}
          </select>
        </Field>
      )}
      <Field label="Kind" hint={info?.description}>
        <select
          value={kind}
          onChange={(e) => choose((e.target as HTMLSelectElement).value)}
          data-testid="task-kind"
        >
          <option value="">Choose a kind…</option>
          {kinds.map(([k, i]) => (
            <option key={k} value={k} disabled={!i.available}>
              {k}
              {i.available ? '' : ' (unavailable)'}
            </option>
          ))}
        </select>
      </Field>
      {info && !info.available && info.reason && <p class="muted">{info.reason}</p>}
      {info &&
        Object.entries(info.options).map(([name, o]) => (
          <OptionField
            key={`${kind}.${name}`}
            name={name}
            info={o}
            value={values[name] ?? initialValue(o)}
            set={(v) => setValues((s) => ({ ...s, [name]: v }))}
          />
        ))}
      <Button type="submit" kind="primary" busy={busy} disabled={!info} data-testid="task-submit">
        Run task
      </Button>
      <ErrorNote error={error} />
    </form>
  );
}
