// API keys of the selected project: create (the secret is shown once), pause/resume, roll, revoke.
import { useState } from 'preact/hooks';
import { api, list } from '../api';
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
import { input, OnceModal, useAction, useConfirm } from './admin-common';

export interface ApiKey {
  object: 'key';
  id: string;
  name: string | null;
  prefix: string;
  status: 'active' | 'paused' | 'expiring' | 'revoked';
  project_id: string;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  secret?: string;
}

const GRACE: { label: string; seconds: number }[] = [
  { label: 'None: the old key stops now', seconds: 0 },
  { label: '1 hour', seconds: 3600 },
  { label: '24 hours', seconds: 86400 },
  { label: '7 days', seconds: 7 * 86400 },
];

export function KeysPage() {
  const { session } = useSession();
  const keys = useLoad(() => list<ApiKey>('/keys'), [session.project.id]);
  const { busy, run } = useAction();
  const confirm = useConfirm();
  const [name, setName] = useState('');
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [rolling, setRolling] = useState<ApiKey | null>(null);
  const [grace, setGrace] = useState(String(GRACE[2].seconds));

  const create = async (e: Event) => {
    e.preventDefault();
    const k = await run('create', () =>
      api<ApiKey>('POST', '/keys', name.trim() ? { name: name.trim() } : {}),
    );
    if (!k) return;
    setName('');
    keys.reload();
    if (k.secret) setSecret({ title: `Key "${k.name ?? k.prefix}" created`, value: k.secret });
  };

  const setStatus = async (k: ApiKey, status: 'active' | 'paused') => {
    const done = await run(
      `status:${k.id}`,
      () => api('PATCH', `/keys/${k.id}`, { status }),
      () => (status === 'paused' ? 'Key paused' : 'Key resumed'),
    );
    if (done) keys.reload();
  };

  const revoke = async (k: ApiKey) => {
    const ok = await confirm.ask(
      'Revoke this key?',
      <p>
        Requests with <code>{k.prefix}</code> will be refused at once. This cannot be undone.
      </p>,
      'Revoke',
    );
    if (!ok) return;
    const done = await run(`revoke:${k.id}`, () => api('DELETE', `/keys/${k.id}`), 'Key revoked');
    if (done !== undefined) keys.reload();
  };

  const roll = async (e: Event) => {
    e.preventDefault();
    const k = rolling;
    if (!k) return;
    const created = await run(
      `roll:${k.id}`,
      () => api<ApiKey>('POST', `/keys/${k.id}/roll`, { grace_seconds: Number(grace) }),
      'Key rolled',
    );
    setRolling(null);
    if (!created) return;
    keys.reload();
    if (created.secret) setSecret({ title: 'New key secret', value: created.secret });
  };

  const items = keys.data?.items ?? [];
  return (
    <>
      <PageHeader title="API keys" />
      <section class="panel" aria-labelledby="new-key">
        <h2 id="new-key">New key</h2>
        <form class="admin-form" onSubmit={create}>
          <Field label="Name" hint="What uses it, e.g. 'website' or 'ci'.">
            <input
              name="key-name"
              maxLength={200}
              value={name}
              onInput={(e) => setName(input(e))}
              data-testid="key-name"
            />
          </Field>
          <Button type="submit" kind="primary" busy={busy === 'create'} data-testid="key-create">
            Create key
          </Button>
        </form>
      </section>

      <section class="panel" aria-labelledby="keys-of">
        <h2 id="keys-of">Keys of {session.project.name}</h2>
        {keys.loading && !keys.data && <p class="loading">Loading…</p>}
        <ErrorNote error={keys.error} />
        {keys.data && items.length === 0 && <Empty>No keys yet. Create one above.</Empty>}
        {items.length > 0 && (
          <div class="table-wrap">
            <table class="cards" data-testid="keys-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((k) => (
                  <tr key={k.id} data-key-id={k.id}>
                    <td data-label="Name">{k.name ?? <span class="muted">unnamed</span>}</td>
                    <td data-label="Prefix">
                      <code class="wrap-anywhere">{k.prefix}</code>
                    </td>
                    <td data-label="Status">
                      <Status status={k.status} />
                    </td>
                    <td data-label="Created">{formatDate(k.created_at)}</td>
                    <td data-label="Last used" title={formatDate(k.last_used_at)}>
                      {timeAgo(k.last_used_at)}
                    </td>
                    <td data-label="Expires">{k.expires_at ? formatDate(k.expires_at) : '—'}</td>
                    <td class="actions">
                      {k.status !== 'revoked' && (
                        <>
                          {k.status === 'paused' ? (
                            <Button
                              class="btn-small"
                              busy={busy === `status:${k.id}`}
                              onClick={() => setStatus(k, 'active')}
                              aria-label={`Resume ${k.name ?? k.prefix}`}
                            >
                              Resume
                            </Button>
                          ) : (
                            <Button
                              class="btn-small"
                              busy={busy === `status:${k.id}`}
                              onClick={() => setStatus(k, 'paused')}
                              aria-label={`Pause ${k.name ?? k.prefix}`}
                            >
                              Pause
                            </Button>
                          )}
                          <Button
                            class="btn-small"
                            onClick={() => setRolling(k)}
                            aria-label={`Roll ${k.name ?? k.prefix}`}
                          >
                            Roll
                          </Button>
                          <Button
                            class="btn-small"
                            kind="danger"
                            busy={busy === `revoke:${k.id}`}
                            onClick={() => revoke(k)}
                            aria-label={`Revoke ${k.name ?? k.prefix}`}
                            data-testid="key-revoke"
                          >
                            Revoke
                          </Button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <UseIt />

      <Modal title="Roll key" open={rolling !== null} onClose={() => setRolling(null)}>
        <form class="stack" onSubmit={roll}>
          <p>
            A new secret replaces <code>{rolling?.prefix}</code>. Keep the old one working for a while so your
            apps can switch:
          </p>
          <Field label="Old key keeps working for">
            <select value={grace} onChange={(e) => setGrace(input(e))}>
              {GRACE.map((g) => (
                <option key={g.seconds} value={String(g.seconds)}>
                  {g.label}
                </option>
              ))}
            </select>
          </Field>
          <div class="btn-row end">
            <Button onClick={() => setRolling(null)}>Cancel</Button>
            <Button type="submit" kind="primary" busy={busy?.startsWith('roll:')}>
              Roll key
            </Button>
          </div>
        </form>
      </Modal>

      <OnceModal
        title={secret?.title ?? ''}
        value={secret?.value ?? null}
        testid="key-secret"
        onClose={() => setSecret(null)}
      />
      {confirm.dialog}
    </>
  );
}

function UseIt() {
  const origin = location.origin;
  const curl = `curl -H "Authorization: Bearer $MEDIARY_KEY" ${origin}/media`;
  const sdk = `import { IttybitClient } from '@ittybit/sdk';

const ittybit = new IttybitClient({ token: process.env.MEDIARY_KEY, baseUrl: '${origin}' });
const media = await ittybit.media.list();`;
  return (
    <section class="panel" aria-labelledby="use-it">
      <h2 id="use-it">Use it</h2>
      <p class="muted">
        Send the key as a bearer token. Every ittybit SDK works: give it this server as its base URL.
      </p>
      <h3 class="field-label">curl</h3>
      <pre>
        <code>{curl}</code>
      </pre>
      <h3 class="field-label">JavaScript (@ittybit/sdk)</h3>
      <pre>
        <code>{sdk}</code>
      </pre>
    </section>
  );
}
