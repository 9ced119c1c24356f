// Webhooks: endpoints (events of chosen kinds, each signed with its own secret) and the delivery log
// (task webhooks and endpoint deliveries, with their attempts; replay one).
import { useState } from 'preact/hooks';
import { api, list, qs } from '../api';
import type { Route } from '../router';
import { useSession } from '../session';
import {
  Button,
  Empty,
  ErrorNote,
  Field,
  formatDate,
  Modal,
  PageHeader,
  Status,
  timeAgo,
  useLoad,
} from '../ui';
import { input, SecretBox, useAction, useConfirm } from './admin-common';

interface Endpoint {
  object: 'webhook_endpoint';
  id: string;
  url: string;
  description: string | null;
  topics: string[];
  status: 'active' | 'paused';
  secret?: string;
  created?: string;
  updated?: string;
}

interface Delivery {
  object: 'webhook_delivery';
  id: string;
  task_id: string | null;
  type: string;
  url: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempt_count: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  payload: unknown;
  endpoint_id: string | null;
  event_id: string | null;
  attempts: {
    attempt: number;
    started: string;
    duration_ms: number;
    status_code: number | null;
    error: string | null;
  }[];
  created: string;
  updated: string;
}

/** Event kinds an endpoint can subscribe to (src/services/event-kinds.ts). */
const EVENT_KINDS = [
  'file.created',
  'file.updated',
  'file.deleted',
  'media.created',
  'media.updated',
  'media.deleted',
  'task.created',
  'task.processing',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'automation.triggered',
];

const PAGE_SIZE = 20;

export function WebhooksPage(props: { route: Route }) {
  const [endpointFilter, setEndpointFilter] = useState(props.route.query.get('endpoint_id') ?? '');
  return (
    <>
      <PageHeader title="Webhooks" />
      <Endpoints onShowDeliveries={(id) => setEndpointFilter(id)} />
      <Deliveries
        endpointId={endpointFilter}
        onClearEndpoint={() => setEndpointFilter('')}
        initialStatus={props.route.query.get('status') ?? ''}
      />
    </>
  );
}

// --- endpoints ---

interface EndpointDraft {
  id?: string;
  url: string;
  description: string;
  topics: string[];
  status: 'active' | 'paused';
}

function Endpoints(props: { onShowDeliveries: (id: string) => void }) {
  const { session } = useSession();
  const endpoints = useLoad(() => list<Endpoint>('/webhooks/endpoints?limit=100'), [session.project.id]);
  const { busy, run } = useAction();
  const confirm = useConfirm();
  const [draft, setDraft] = useState<EndpointDraft | null>(null);
  const [shown, setShown] = useState<{ title: string; secret: string; once?: boolean } | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const { toast } = useSession();
  const toastOk = (t: string) => toast(t);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!draft) return;
    setFormError(null);
    const body = {
      url: draft.url.trim(),
      description: draft.description.trim() || null,
      topics: draft.topics,
      status: draft.status,
    };
    try {
      if (draft.id) {
        await api<Endpoint>('PATCH', `/webhooks/endpoints/${draft.id}`, body);
        toastOk('Endpoint saved');
      } else {
        const ep = await api<Endpoint>('POST', '/webhooks/endpoints', body);
        toastOk('Endpoint created');
        if (ep.secret) setShown({ title: 'Endpoint signing secret', secret: ep.secret });
      }
      setDraft(null);
      endpoints.reload();
    } catch (err) {
      setFormError(err instanceof Error ? err.message : String(err));
    }
  };

  const reveal = async (ep: Endpoint) => {
    const full = await run(`reveal:${ep.id}`, () => api<Endpoint>('GET', `/webhooks/endpoints/${ep.id}`));
    if (full?.secret) setShown({ title: `Signing secret of ${ep.url}`, secret: full.secret });
  };
  const rotate = async (ep: Endpoint) => {
    const ok = await confirm.ask(
      'Rotate this endpoint’s secret?',
      <p>
        Every later attempt to <span class="wrap-anywhere">{ep.url}</span> is signed with a new secret,
        pending retries included.
      </p>,
      'Rotate',
    );
    if (!ok) return;
    const r = await run(
      `rotate:${ep.id}`,
      () => api<Endpoint>('POST', `/webhooks/endpoints/${ep.id}/rotate`),
      'Endpoint secret rotated',
    );
    if (r?.secret) setShown({ title: 'New endpoint signing secret', secret: r.secret });
  };
  const remove = async (ep: Endpoint) => {
    const ok = await confirm.ask(
      'Delete this endpoint?',
      <p>
        <span class="wrap-anywhere">{ep.url}</span> gets nothing more; its pending deliveries are dropped.
      </p>,
      'Delete',
    );
    if (!ok) return;
    const done = await run(
      `delete:${ep.id}`,
      () => api('DELETE', `/webhooks/endpoints/${ep.id}`),
      'Endpoint deleted',
    );
    if (done !== undefined) endpoints.reload();
  };
  const toggle = async (ep: Endpoint) => {
    const status = ep.status === 'active' ? 'paused' : 'active';
    const done = await run(
      `toggle:${ep.id}`,
      () => api('PATCH', `/webhooks/endpoints/${ep.id}`, { status }),
      status === 'paused' ? 'Endpoint paused' : 'Endpoint resumed',
    );
    if (done) endpoints.reload();
  };

  const items = endpoints.data?.items ?? [];
  return (
    <section class="panel" aria-labelledby="endpoints">
      <div class="page-header">
        <h2 id="endpoints">Endpoints</h2>
        <Button
          kind="primary"
          onClick={() => {
            setFormError(null);
            setDraft({ url: '', description: '', topics: [], status: 'active' });
          }}
        >
          Add endpoint
        </Button>
      </div>
      <p class="muted">An endpoint receives every event of the kinds it lists, signed with its own secret.</p>
      {endpoints.loading && !endpoints.data && <p class="loading">Loading…</p>}
      <ErrorNote error={endpoints.error} />
      {endpoints.data && items.length === 0 && <Empty>No endpoints yet.</Empty>}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((ep) => (
                <tr key={ep.id}>
                  <td data-label="URL">
                    <span class="wrap-anywhere">{ep.url}</span>
                    {ep.description && <div class="muted">{ep.description}</div>}
                  </td>
                  <td data-label="Events">{ep.topics.length ? ep.topics.join(', ') : 'all events'}</td>
                  <td data-label="Status">
                    <Status status={ep.status} />
                  </td>
                  <td class="actions">
                    <Button
                      class="btn-small"
                      onClick={() => {
                        setFormError(null);
                        setDraft({
                          id: ep.id,
                          url: ep.url,
                          description: ep.description ?? '',
                          topics: ep.topics,
                          status: ep.status,
                        });
                      }}
                      aria-label={`Edit ${ep.url}`}
                    >
                      Edit
                    </Button>
                    <Button class="btn-small" busy={busy === `toggle:${ep.id}`} onClick={() => toggle(ep)}>
                      {ep.status === 'active' ? 'Pause' : 'Resume'}
                    </Button>
                    <Button class="btn-small" busy={busy === `reveal:${ep.id}`} onClick={() => reveal(ep)}>
                      Reveal secret
                    </Button>
                    <Button class="btn-small" busy={busy === `rotate:${ep.id}`} onClick={() => rotate(ep)}>
                      Rotate secret
                    </Button>
                    <Button class="btn-small" onClick={() => props.onShowDeliveries(ep.id)}>
                      Deliveries
                    </Button>
                    <Button
                      class="btn-small"
                      kind="danger"
                      busy={busy === `delete:${ep.id}`}
                      onClick={() => remove(ep)}
                      aria-label={`Delete ${ep.url}`}
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

      <Modal
        title={draft?.id ? 'Edit endpoint' : 'Add endpoint'}
        open={draft !== null}
        onClose={() => setDraft(null)}
      >
        {draft && (
          <form onSubmit={save}>
            <Field label="URL" hint="https URL that receives the events (POST, JSON).">
              <input
                type="url"
                required
                maxLength={8000}
                value={draft.url}
                placeholder="https://example.com/webhooks/mediary"
                onInput={(e) => setDraft({ ...draft, url: input(e) })}
                data-testid="endpoint-url"
              />
            </Field>
            <Field label="Description">
              <input
                maxLength={2000}
                value={draft.description}
                onInput={(e) => setDraft({ ...draft, description: input(e) })}
              />
            </Field>
            <fieldset class="checks">
              <legend>Events (none ticked: all events)</legend>
              {EVENT_KINDS.map((k) => (
                <label key={k}>
                  <input
                    type="checkbox"
                    checked={draft.topics.includes(k)}
                    onChange={(e) => {
                      const on = (e.target as HTMLInputElement).checked;
                      setDraft({
                        ...draft,
                        topics: on ? [...draft.topics, k] : draft.topics.filter((t) => t !== k),
                      });
                    }}
                  />
                  <code>{k}</code>
                </label>
              ))}
            </fieldset>
            <Field label="Status">
              <select
                value={draft.status}
                onChange={(e) => setDraft({ ...draft, status: input(e) as 'active' | 'paused' })}
              >
                <option value="active">active</option>
                <option value="paused">paused (nothing is sent)</option>
              </select>
            </Field>
            {formError && (
              <p class="error-note" role="alert">
                {formError}
              </p>
            )}
            <div class="btn-row end">
              <Button onClick={() => setDraft(null)}>Cancel</Button>
              <Button type="submit" kind="primary" data-testid="endpoint-save">
                {draft.id ? 'Save' : 'Create endpoint'}
              </Button>
            </div>
          </form>
        )}
      </Modal>

      <Modal title={shown?.title ?? ''} open={shown !== null} onClose={() => setShown(null)}>
        <div class="stack">
          <p class="muted">
            Check the <code>webhook-signature</code> header of each request with it (Standard Webhooks).
          </p>
          {shown && <SecretBox value={shown.secret} testid="endpoint-secret" />}
          <div class="btn-row end">
            <Button kind="primary" onClick={() => setShown(null)}>
              Done
            </Button>
          </div>
        </div>
      </Modal>
      {confirm.dialog}
    </section>
  );
}

// --- deliveries ---

function Deliveries(props: { endpointId: string; onClearEndpoint: () => void; initialStatus: string }) {
  const { session } = useSession();
  const [status, setStatus] = useState(props.initialStatus);
  const [page, setPage] = useState(1);
  // rows updated since the list loaded (a replay, an opened delivery), by id
  const [fresh, setFresh] = useState<Record<string, Delivery>>({});
  const deliveries = useLoad(
    () =>
      list<Delivery>(
        `/webhooks/deliveries${qs({ status, endpoint_id: props.endpointId, page, limit: PAGE_SIZE })}`,
      ).then((r) => {
        setFresh({});
        return r;
      }),
    [session.project.id, status, page, props.endpointId],
  );
  const { busy, run } = useAction();
  const [open, setOpen] = useState<Delivery | null>(null);

  const replace = (d: Delivery) => setFresh((f) => ({ ...f, [d.id]: d }));

  const replay = async (d: Delivery) => {
    const r = await run(
      `replay:${d.id}`,
      () => api<Delivery>('POST', `/webhooks/deliveries/${d.id}/retry`),
      'Delivery sent again',
    );
    if (!r) return;
    replace(r);
    // the attempt runs in the background: look again shortly
    for (const wait of [800, 2000, 5000]) {
      await new Promise((res) => setTimeout(res, wait));
      const fresh = await api<Delivery>('GET', `/webhooks/deliveries/${d.id}`).catch(() => null);
      if (!fresh) return;
      replace(fresh);
      if (fresh.status !== 'pending') return;
    }
  };

  const openOne = async (d: Delivery) => {
    setOpen(d);
    const fresh = await api<Delivery>('GET', `/webhooks/deliveries/${d.id}`).catch(() => null);
    if (fresh) replace(fresh);
  };

  const items = (deliveries.data?.items ?? []).map((d) => fresh[d.id] ?? d);
  const shown = open ? (fresh[open.id] ?? open) : null;
  const total = deliveries.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <section class="panel" aria-labelledby="deliveries">
      <div class="page-header">
        <h2 id="deliveries">Deliveries</h2>
        <div class="actions">
          <Button onClick={() => deliveries.reload()} busy={deliveries.loading}>
            Refresh
          </Button>
        </div>
      </div>
      <div class="admin-form">
        <Field label="Status">
          <select
            value={status}
            onChange={(e) => {
              setStatus(input(e));
              setPage(1);
            }}
            data-testid="delivery-status-filter"
          >
            <option value="">all</option>
            <option value="pending">pending</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </Field>
        {props.endpointId && (
          <p>
            Endpoint <code>{props.endpointId}</code>{' '}
            <Button class="btn-small" onClick={props.onClearEndpoint}>
              Show all
            </Button>
          </p>
        )}
      </div>
      <p class="muted" aria-live="polite">
        {deliveries.data ? `${total} deliver${total === 1 ? 'y' : 'ies'}` : ''}
      </p>
      {deliveries.loading && !deliveries.data && <p class="loading">Loading…</p>}
      <ErrorNote error={deliveries.error} />
      {deliveries.data && items.length === 0 && (
        <Empty>
          No deliveries{status ? ` with status ${status}` : ''}. Tasks with a <code>webhook_url</code> and
          endpoints log theirs here.
        </Empty>
      )}
      {items.length > 0 && (
        <div class="table-wrap">
          <table class="cards" data-testid="deliveries-table">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Type</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last response</th>
                <th scope="col">Task</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-delivery-id={d.id}>
                  <td data-label="Status">
                    <Status status={d.status} />
                  </td>
                  <td data-label="Type">
                    <code>{d.type}</code>
                  </td>
                  <td data-label="Attempts" data-testid="delivery-attempts">
                    {d.attempt_count}
                  </td>
                  <td data-label="Last response">
                    {d.last_status ?? (d.last_error ? <span title={d.last_error}>error</span> : '—')}
                  </td>
                  <td data-label="Task">
                    {d.task_id ? <a href={`#/tasks/${d.task_id}`}>{d.task_id}</a> : '—'}
                  </td>
                  <td data-label="Created" title={formatDate(d.created)}>
                    {timeAgo(d.created)}
                  </td>
                  <td class="actions">
                    <Button class="btn-small" onClick={() => openOne(d)} aria-label={`Open delivery ${d.id}`}>
                      Open
                    </Button>
                    <Button
                      class="btn-small"
                      busy={busy === `replay:${d.id}`}
                      onClick={() => replay(d)}
                      aria-label={`Replay delivery ${d.id}`}
                      data-testid="delivery-replay"
                    >
                      Replay
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav class="pager" aria-label="Delivery pages">
          <Button class="btn-small" disabled={page <= 1} onClick={() => setPage(page - 1)}>
            Previous
          </Button>
          <span>
            Page {page} of {pages}
          </span>
          <Button class="btn-small" disabled={page >= pages} onClick={() => setPage(page + 1)}>
            Next
          </Button>
        </nav>
      )}

      <Modal title="Delivery" open={shown !== null} onClose={() => setOpen(null)}>
        {shown && (
          <div class="stack" data-testid="delivery-detail">
            <dl class="facts">
              <dt>ID</dt>
              <dd>
                <code>{shown.id}</code>
              </dd>
              <dt>Status</dt>
              <dd>
                <Status status={shown.status} />
              </dd>
              <dt>Type</dt>
              <dd>{shown.type}</dd>
              <dt>URL</dt>
              <dd>{shown.url}</dd>
              {shown.task_id && (
                <>
                  <dt>Task</dt>
                  <dd>{shown.task_id}</dd>
                </>
              )}
              {shown.endpoint_id && (
                <>
                  <dt>Endpoint</dt>
                  <dd>{shown.endpoint_id}</dd>
                </>
              )}
              {shown.event_id && (
                <>
                  <dt>Event</dt>
                  <dd>{shown.event_id}</dd>
                </>
              )}
              <dt>Next attempt</dt>
              <dd>{shown.next_attempt_at ? formatDate(shown.next_attempt_at) : '—'}</dd>
              {shown.last_error && (
                <>
                  <dt>Last error</dt>
                  <dd>{shown.last_error}</dd>
                </>
              )}
            </dl>
            <h3 class="field-label">Attempts</h3>
            {shown.attempts.length === 0 ? (
              <p class="muted">No attempt yet.</p>
            ) : (
              <div class="table-wrap">
                <table class="attempts">
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">Started</th>
                      <th scope="col">Took</th>
                      <th scope="col">Response</th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.attempts.map((a) => (
                      <tr key={a.attempt}>
                        <td>{a.attempt}</td>
                        <td>{formatDate(a.started)}</td>
                        <td>{Math.round(a.duration_ms)} ms</td>
                        <td class="wrap-anywhere">{a.status_code ?? a.error ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h3 class="field-label">Payload</h3>
            <pre>{JSON.stringify(shown.payload, null, 2)}</pre>
            <div class="btn-row end">
              <Button busy={busy === `replay:${shown.id}`} onClick={() => replay(shown)}>
                Replay
              </Button>
              <Button kind="primary" onClick={() => setOpen(null)}>
                Close
              </Button>
            </div>
          </div>
        )}
      </Modal>
    </section>
  );
}
