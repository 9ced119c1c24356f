// Automations: a trigger event and a workflow of steps. A form for the common cases and a JSON editor for
// the whole definition; the API's 400 (which names the step's path, e.g. workflow[0].width) is shown next
// to the step or the editor. Runs are the automation's workflow tasks (GET /tasks?automation_id&kind=workflow).
import { useState } from 'preact/hooks';
import { ApiError, api, type ListResult, list, qs } from '../api';
import { useLive } from '../live';
import { navigate, type Route } from '../router';
import { useSession } from '../session';
import { Button, Empty, ErrorNote, Field, formatDate, PageHeader, Status, timeAgo, useLoad } from '../ui';
import { errorText, input, useAction, useConfirm } from './admin-common';

const TRIGGERS = [
  { event: 'media.created', label: 'media.created: new media got its first file' },
  { event: 'file.created', label: 'file.created: any new file' },
  { event: 'task.completed', label: 'task.completed' },
  { event: 'task.failed', label: 'task.failed' },
];

interface Automation {
  object: 'automation';
  id: string;
  name: string | null;
  description: string | null;
  trigger: { kind?: string; event?: string };
  workflow: unknown[];
  status: 'active' | 'paused';
  created: string;
  updated: string;
}

interface Task {
  id: string;
  kind: string;
  status: string;
  error: string | null;
  media_id?: string;
  created_by?: string;
  created: string;
  completed?: string;
  workflow?: { id: string; kind: string; status: string; error: string | null }[];
}

/** An automation's runs (its workflow tasks; GET /tasks?automation_id), newest first, and how many in all. */
function runsOf(id: string, limit: number): Promise<ListResult<Task>> {
  return list<Task>(`/tasks${qs({ automation_id: id, kind: 'workflow', limit })}`);
}

/** How many runs each automation has made (one small request per automation listed). */
async function runCounts(ids: string[]): Promise<Map<string, number>> {
  const totals = await Promise.all(ids.map(async (id) => [id, (await runsOf(id, 1)).total] as const));
  return new Map(totals);
}

export function AutomationsPage(props: { route: Route }) {
  const id = props.route.params[0];
  if (id === 'new') return <Editor key="new" />;
  if (id) return <EditExisting key={id} id={id} />;
  return <AutomationList />;
}

// --- list ---

function AutomationList() {
  const { session } = useSession();
  const automations = useLoad(() => list<Automation>('/automations?limit=100'), [session.project.id]);
  const ids = (automations.data?.items ?? []).map((a) => a.id).join(',');
  const runs = useLoad(() => runCounts(ids ? ids.split(',') : []), [session.project.id, ids]);
  const { busy, run } = useAction();
  const confirm = useConfirm();

  const toggle = async (a: Automation) => {
    const status = a.status === 'active' ? 'paused' : 'active';
    const r = await run(
      `toggle:${a.id}`,
      () => api<Automation>('PATCH', `/automations/${a.id}`, { status }),
      status === 'paused' ? 'Automation paused' : 'Automation resumed',
    );
    if (r) automations.reload();
  };
  const remove = async (a: Automation) => {
    const ok = await confirm.ask(
      'Delete this automation?',
      <p>
        <strong>{a.name ?? a.id}</strong> stops starting runs. Runs already started finish.
      </p>,
      'Delete',
    );
    if (!ok) return;
    const r = await run(`delete:${a.id}`, () => api('DELETE', `/automations/${a.id}`), 'Automation deleted');
    if (r !== undefined) automations.reload();
  };

  const counts = runs.data ?? new Map<string, number>();
  const items = automations.data?.items ?? [];
  return (
    <>
      <PageHeader title="Automations">
        <a class="btn btn-primary" href="#/automations/new" data-testid="automation-new">
          New automation
        </a>
      </PageHeader>
      <p class="muted">
        An automation runs a workflow of steps each time its event happens, e.g. a thumbnail for every new
        image.
      </p>
      {automations.loading && !automations.data && <p class="loading">Loading…</p>}
      <ErrorNote error={automations.error} />
      {automations.data && items.length === 0 && (
        <Empty>
          No automations yet. <a href="#/automations/new">Create one</a>.
        </Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap panel">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Trigger</th>
                <th scope="col">Steps</th>
                <th scope="col">Status</th>
                <th scope="col">Runs</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td data-label="Name">
                    <a href={`#/automations/${a.id}`}>{a.name || a.id}</a>
                    {a.description && <div class="muted">{a.description}</div>}
                  </td>
                  <td data-label="Trigger">
                    <code>{a.trigger.event ?? '—'}</code>
                  </td>
                  <td data-label="Steps">{stepSummary(a.workflow)}</td>
                  <td data-label="Status">
                    <Status status={a.status} />
                  </td>
                  <td data-label="Runs" data-testid="automation-runs">
                    {runs.data ? (counts.get(a.id) ?? 0) : '…'}
                  </td>
                  <td data-label="Updated" title={formatDate(a.updated)}>
                    {timeAgo(a.updated)}
                  </td>
                  <td class="actions">
                    <a class="btn btn-plain btn-small" href={`#/automations/${a.id}`}>
                      Edit
                    </a>{' '}
                    <Button class="btn-small" busy={busy === `toggle:${a.id}`} onClick={() => toggle(a)}>
                      {a.status === 'active' ? 'Pause' : 'Resume'}
                    </Button>
                    <Button
                      class="btn-small"
                      kind="danger"
                      busy={busy === `delete:${a.id}`}
                      onClick={() => remove(a)}
                      aria-label={`Delete ${a.name ?? a.id}`}
                    >
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm.dialog}
    </>
  );
}

function stepSummary(workflow: unknown[]): string {
  const kinds: string[] = [];
  const walk = (steps: unknown) => {
    if (!Array.isArray(steps)) return;
    for (const s of steps) {
      if (s && typeof s === 'object') {
        const st = s as { kind?: unknown; next?: unknown };
        if (typeof st.kind === 'string') kinds.push(st.kind);
        walk(st.next);
      }
    }
  };
  walk(workflow);
  return kinds.length ? kinds.join(' → ') : '—';
}

// --- the form model ---

const STEP_KINDS = ['image', 'video', 'thumbnails', 'subtitles', 'http'] as const;
type StepKind = (typeof STEP_KINDS)[number];

const STEP_LABELS: Record<StepKind, string> = {
  image: 'Image: resize / convert',
  video: 'Video: transcode',
  thumbnails: 'Thumbnails: a sprite and VTT',
  subtitles: 'Subtitles: speech to text',
  http: 'Webhook: send an HTTP request',
};

/** The options the form edits for each kind (all optional, all text inputs or selects). */
const STEP_FIELDS: Record<StepKind, string[]> = {
  image: ['width', 'height', 'format', 'ref'],
  video: ['width', 'height', 'format', 'ref'],
  thumbnails: ['count', 'width', 'format', 'ref'],
  subtitles: ['language', 'format', 'ref'],
  http: ['url', 'method', 'ref'],
};
const NUMERIC = new Set(['width', 'height', 'count']);
const FORMATS: Record<StepKind, string[]> = {
  image: ['', 'webp', 'jpeg', 'png', 'avif'],
  video: ['', 'mp4', 'webm', 'hls'],
  thumbnails: ['', 'jpeg', 'webp', 'png'],
  subtitles: ['', 'vtt', 'srt'],
  http: [],
};

interface FormStep {
  kind: StepKind;
  values: Record<string, string>;
}

interface FormModel {
  name: string;
  description: string;
  event: string;
  status: 'active' | 'paused';
  /** only media of this kind: a conditions step in front of the steps */
  onlyKind: '' | 'image' | 'video' | 'audio';
  steps: FormStep[];
}

interface Definition {
  name: string | null;
  description: string | null;
  trigger: { kind: 'event'; event: string };
  workflow: unknown[];
  status: 'active' | 'paused';
}

const EMPTY: FormModel = {
  name: '',
  description: '',
  event: 'media.created',
  status: 'active',
  onlyKind: '',
  steps: [{ kind: 'image', values: { width: '320', format: 'webp', ref: 'thumbnail' } }],
};

function stepToJson(s: FormStep): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: s.kind };
  for (const f of STEP_FIELDS[s.kind]) {
    const v = (s.values[f] ?? '').trim();
    if (v === '') continue;
    out[f] = NUMERIC.has(f) && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

function toDefinition(m: FormModel): Definition {
  const steps = m.steps.map(stepToJson);
  return {
    name: m.name.trim() || null,
    description: m.description.trim() || null,
    trigger: { kind: 'event', event: m.event },
    workflow: m.onlyKind
      ? [{ kind: 'conditions', conditions: [{ prop: 'kind', value: m.onlyKind }], next: steps }]
      : steps,
    status: m.status,
  };
}

/** The form model of a definition, or null when it uses more than the form shows. */
function fromDefinition(d: unknown): FormModel | null {
  if (!d || typeof d !== 'object' || Array.isArray(d)) return null;
  const def = d as Record<string, unknown>;
  for (const k of Object.keys(def))
    if (!['name', 'description', 'trigger', 'workflow', 'status'].includes(k)) return null;
  const trigger = def.trigger as { kind?: unknown; event?: unknown } | undefined;
  if (!trigger || typeof trigger.event !== 'string') return null;
  if (!TRIGGERS.some((t) => t.event === trigger.event)) return null;
  if (!Array.isArray(def.workflow)) return null;
  let steps: unknown[] = def.workflow;
  let onlyKind: FormModel['onlyKind'] = '';
  const first = steps[0] as Record<string, unknown> | undefined;
  if (steps.length === 1 && first?.kind === 'conditions') {
    const conds = first.conditions as { prop?: unknown; value?: unknown; operator?: unknown }[] | undefined;
    const c = conds?.[0];
    if (
      Object.keys(first).some((k) => !['kind', 'conditions', 'next'].includes(k)) ||
      conds?.length !== 1 ||
      c?.prop !== 'kind' ||
      (c.operator !== undefined && c.operator !== 'eq') ||
      !['image', 'video', 'audio'].includes(String(c.value)) ||
      !Array.isArray(first.next)
    )
      return null;
    onlyKind = c.value as FormModel['onlyKind'];
    steps = first.next as unknown[];
  }
  const formSteps: FormStep[] = [];
  for (const s of steps) {
    if (!s || typeof s !== 'object') return null;
    const step = s as Record<string, unknown>;
    const kind = step.kind === 'subtitle' ? 'subtitles' : step.kind;
    if (!STEP_KINDS.includes(kind as StepKind)) return null;
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(step)) {
      if (k === 'kind') continue;
      if (!STEP_FIELDS[kind as StepKind].includes(k)) return null;
      if (typeof v !== 'string' && typeof v !== 'number') return null;
      values[k] = String(v);
    }
    formSteps.push({ kind: kind as StepKind, values });
  }
  const status = def.status === 'paused' ? 'paused' : 'active';
  return {
    name: typeof def.name === 'string' ? def.name : '',
    description: typeof def.description === 'string' ? def.description : '',
    event: trigger.event,
    status,
    onlyKind,
    steps: formSteps,
  };
}

/** Where an API error points: a step of the form (by index and field), the trigger, or the whole. */
function locate(message: string, m: FormModel): { step?: number; field?: string; trigger?: boolean } {
  // the message names a path: `workflow[0].next[1].width: …` or `Invalid option "workflow[0].width" …`
  const path = /\bworkflow((?:\[\d+\])(?:\.next\[\d+\])*)(?:\.([A-Za-z_]+))?/.exec(message);
  if (path) {
    for (let i = 0; i < m.steps.length; i++) {
      const at = m.onlyKind ? `[0].next[${i}]` : `[${i}]`;
      if (path[1] === at) return { step: i, field: path[2] };
    }
    return {};
  }
  if (/\btrigger\b/.test(message)) return { trigger: true };
  return {};
}

// --- editor ---

function EditExisting(props: { id: string }) {
  const a = useLoad(() => api<Automation>('GET', `/automations/${props.id}`), [props.id]);
  if (a.loading && !a.data) return <p class="loading">Loading…</p>;
  if (a.error || !a.data)
    return (
      <>
        <PageHeader title="Automation" />
        <ErrorNote error={a.error ?? 'Not found'} />
        <a href="#/automations">Back to automations</a>
      </>
    );
  return <Editor automation={a.data} />;
}

function Editor(props: { automation?: Automation }) {
  const { toast } = useSession();
  const existing = props.automation;
  const initialDef: Definition | null = existing
    ? {
        name: existing.name,
        description: existing.description,
        trigger: { kind: 'event', event: existing.trigger.event ?? '' },
        workflow: existing.workflow,
        status: existing.status,
      }
    : null;
  const initialForm = initialDef ? fromDefinition(initialDef) : EMPTY;
  const [mode, setMode] = useState<'form' | 'json'>(initialForm ? 'form' : 'json');
  const [form, setForm] = useState<FormModel>(initialForm ?? EMPTY);
  const [json, setJson] = useState(JSON.stringify(initialDef ?? toDefinition(EMPTY), null, 2));
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const where = error && mode === 'form' ? locate(error, form) : {};

  const switchTo = (next: 'form' | 'json') => {
    if (next === mode) return;
    setNote(null);
    if (next === 'json') {
      setJson(JSON.stringify(toDefinition(form), null, 2));
      setMode('json');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      setError(`The JSON does not parse: ${errorText(err)}`);
      return;
    }
    const m = fromDefinition(parsed);
    if (!m) {
      setNote(
        'This definition uses more than the form can show (nested steps, other kinds or options). Keep editing it as JSON.',
      );
      return;
    }
    setForm(m);
    setError(null);
    setMode('form');
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    let body: unknown;
    if (mode === 'form') body = toDefinition(form);
    else {
      try {
        body = JSON.parse(json);
      } catch (err) {
        setError(`The JSON does not parse: ${errorText(err)}`);
        return;
      }
    }
    setSaving(true);
    try {
      const saved = existing
        ? await api<Automation>('PUT', `/automations/${existing.id}`, body)
        : await api<Automation>('POST', '/automations', body);
      toast(existing ? 'Automation saved' : 'Automation created');
      if (!existing) navigate(`/automations/${saved.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) setError(err.message);
      else {
        setError(errorText(err));
        toast(errorText(err), 'error');
      }
    } finally {
      setSaving(false);
    }
  };

  const setStep = (i: number, s: FormStep) =>
    setForm({ ...form, steps: form.steps.map((x, j) => (j === i ? s : x)) });
  const general = error && (mode === 'json' || (where.step === undefined && !where.trigger)) ? error : null;

  return (
    <>
      <PageHeader title={existing ? `Automation ${existing.name || existing.id}` : 'New automation'}>
        <a class="btn btn-plain" href="#/automations">
          Back to automations
        </a>
      </PageHeader>
      <form class="panel" onSubmit={save} aria-label="Automation definition">
        <div class="tabs" role="tablist" aria-label="Edit as">
          {(['form', 'json'] as const).map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              id={`tab-${t}`}
              aria-selected={mode === t}
              aria-controls="automation-editor"
              tabIndex={mode === t ? 0 : -1}
              onClick={() => switchTo(t)}
              onKeyDown={(e) => {
                if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                  e.preventDefault();
                  const other = t === 'form' ? 'json' : 'form';
                  switchTo(other);
                  document.getElementById(`tab-${other}`)?.focus();
                }
              }}
            >
              {t === 'form' ? 'Form' : 'JSON'}
            </button>
          ))}
        </div>
        {note && <p class="warn-note">{note}</p>}
        <div id="automation-editor" role="tabpanel" aria-labelledby={`tab-${mode}`}>
          {mode === 'form' ? (
            <FormFields
              form={form}
              setForm={setForm}
              setStep={setStep}
              triggerError={where.trigger ? error : null}
              stepError={
                where.step !== undefined ? { index: where.step, field: where.field, text: error ?? '' } : null
              }
            />
          ) : (
            <Field
              label="Definition (JSON)"
              hint='{"name", "trigger": {"kind": "event", "event"}, "workflow": [steps], "status"}: see docs/automations.md.'
            >
              <textarea
                class="json-editor"
                spellcheck={false}
                value={json}
                aria-invalid={general ? 'true' : undefined}
                aria-describedby={general ? 'automation-error' : undefined}
                onInput={(e) => setJson(input(e))}
                data-testid="automation-json"
              />
            </Field>
          )}
        </div>
        {general && (
          <p class="error-note" role="alert" id="automation-error" data-testid="automation-error">
            {general}
          </p>
        )}
        <div class="btn-row spaced">
          <Button type="submit" kind="primary" busy={saving} data-testid="automation-save">
            {existing ? 'Save' : 'Create automation'}
          </Button>
        </div>
      </form>
      {existing && <Runs id={existing.id} />}
    </>
  );
}

function FormFields(props: {
  form: FormModel;
  setForm: (m: FormModel) => void;
  setStep: (i: number, s: FormStep) => void;
  triggerError: string | null;
  stepError: { index: number; field?: string; text: string } | null;
}) {
  const { form, setForm, setStep } = props;
  return (
    <>
      <div class="grid-2">
        <Field label="Name">
          <input
            maxLength={200}
            value={form.name}
            onInput={(e) => setForm({ ...form, name: input(e) })}
            data-testid="automation-name"
          />
        </Field>
        <Field label="Status">
          <select
            value={form.status}
            onChange={(e) => setForm({ ...form, status: input(e) as 'active' | 'paused' })}
          >
            <option value="active">active</option>
            <option value="paused">paused</option>
          </select>
        </Field>
      </div>
      <Field label="Description">
        <input
          maxLength={2000}
          value={form.description}
          onInput={(e) => setForm({ ...form, description: input(e) })}
        />
      </Field>
      <div class="grid-2">
        <Field label="When" error={props.triggerError}>
          <select value={form.event} onChange={(e) => setForm({ ...form, event: input(e) })}>
            {TRIGGERS.map((t) => (
              <option key={t.event} value={t.event}>
                {t.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Only for" hint="Adds a conditions step on the file's kind in front of the steps.">
          <select
            value={form.onlyKind}
            onChange={(e) => setForm({ ...form, onlyKind: input(e) as FormModel['onlyKind'] })}
          >
            <option value="">any kind of file</option>
            <option value="image">images</option>
            <option value="video">videos</option>
            <option value="audio">audio</option>
          </select>
        </Field>
      </div>
      <h2 class="field-label">Steps (they run in parallel)</h2>
      {form.steps.length === 0 && <p class="muted">No steps yet: a workflow needs at least one.</p>}
      {form.steps.map((s, i) => {
        const err = props.stepError?.index === i ? props.stepError : null;
        return (
          <fieldset key={i} class={`step-card ${err ? 'has-error' : ''}`} data-testid={`step-${i}`}>
            <legend class="visually-hidden">Step {i + 1}</legend>
            <h3>
              <span>Step {i + 1}</span>
              <Button
                class="btn-small"
                onClick={() => props.setForm({ ...form, steps: form.steps.filter((_, j) => j !== i) })}
                aria-label={`Remove step ${i + 1}`}
              >
                Remove
              </Button>
            </h3>
            <div class="admin-form">
              <Field label="Kind">
                <select
                  value={s.kind}
                  onChange={(e) =>
                    setStep(i, { kind: input(e) as StepKind, values: { ref: s.values.ref ?? '' } })
                  }
                  data-testid={`step-${i}-kind`}
                >
                  {STEP_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {STEP_LABELS[k]}
                    </option>
                  ))}
                </select>
              </Field>
              {STEP_FIELDS[s.kind].map((f) => (
                <StepField
                  key={f}
                  step={s}
                  field={f}
                  error={err && err.field === f ? err.text : null}
                  onChange={(v) => setStep(i, { ...s, values: { ...s.values, [f]: v } })}
                  testid={`step-${i}-${f}`}
                />
              ))}
            </div>
            {err && !STEP_FIELDS[s.kind].includes(err.field ?? '') && (
              <p class="error-note" role="alert" data-testid="automation-error">
                {err.text}
              </p>
            )}
          </fieldset>
        );
      })}
      <Button onClick={() => setForm({ ...form, steps: [...form.steps, { kind: 'image', values: {} }] })}>
        Add step
      </Button>
    </>
  );
}

function StepField(props: {
  step: FormStep;
  field: string;
  error: string | null;
  onChange: (v: string) => void;
  testid: string;
}) {
  const { step, field } = props;
  const value = step.values[field] ?? '';
  const label = field === 'ref' ? 'Ref (names the output)' : field[0].toUpperCase() + field.slice(1);
  const common = {
    value,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'data-testid': props.testid,
  };
  let control: preact.JSX.Element;
  if (field === 'format' && FORMATS[step.kind].length) {
    control = (
      <select {...common} onChange={(e) => props.onChange(input(e))}>
        {FORMATS[step.kind].map((f) => (
          <option key={f} value={f}>
            {f || 'default'}
          </option>
        ))}
      </select>
    );
  } else if (field === 'method') {
    control = (
      <select {...common} onChange={(e) => props.onChange(input(e))}>
        <option value="">POST (default)</option>
        <option value="PUT">PUT</option>
        <option value="PATCH">PATCH</option>
      </select>
    );
  } else {
    control = (
      <input
        {...common}
        type={field === 'url' ? 'url' : 'text'}
        inputMode={NUMERIC.has(field) ? 'numeric' : undefined}
        placeholder={
          field === 'url' ? 'https://example.com/hook' : field === 'language' ? 'e.g. en' : undefined
        }
        required={field === 'url'}
        onInput={(e) => props.onChange(input(e))}
      />
    );
  }
  return (
    <Field label={label} error={props.error}>
      {control}
    </Field>
  );
}

// --- runs ---

function Runs(props: { id: string }) {
  const runs = useLoad(async () => (await runsOf(props.id, 50)).items, [props.id]);
  useLive((m) => {
    // a run's or a step's change (both carry the automation as created_by); the event wraps the task
    if (m.type.startsWith('task.') && m.type !== 'task.progress') {
      const t = m.data?.object === 'event' ? m.data.data : m.data;
      if (t?.created_by === props.id) runs.reload();
    }
  });
  const items = runs.data ?? [];
  return (
    <section class="panel" aria-labelledby="runs">
      <div class="page-header">
        <h2 id="runs">Recent runs</h2>
        <Button class="btn-small" onClick={() => runs.reload()} busy={runs.loading}>
          Refresh
        </Button>
      </div>
      {runs.loading && !runs.data && <p class="loading">Loading…</p>}
      <ErrorNote error={runs.error} />
      {runs.data && items.length === 0 && <Empty>No runs yet: it runs when its event happens.</Empty>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Status</th>
                <th scope="col">Steps</th>
                <th scope="col">Media</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id} data-testid="run-row" data-task-id={t.id}>
                  <td data-label="Task">
                    <a href={`#/tasks/${t.id}`}>{t.id}</a>
                  </td>
                  <td data-label="Status">
                    <Status status={t.status} />
                    {t.error && <div class="field-error">{t.error}</div>}
                  </td>
                  <td data-label="Steps">
                    {t.workflow?.length ? t.workflow.map((s) => `${s.kind} ${s.status}`).join(', ') : '—'}
                  </td>
                  <td data-label="Media">
                    {t.media_id ? <a href={`#/media/${t.media_id}`}>{t.media_id}</a> : '—'}
                  </td>
                  <td data-label="Started" title={formatDate(t.created)}>
                    {timeAgo(t.created)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
