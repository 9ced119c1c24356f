// Project settings: delivery access, the webhook signing secret, usage, and signing out everywhere.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { closeLive } from '../live';
import { forgetSignatures } from '../media/signed';
import { useSession } from '../session';
import { Button, ErrorNote, formatBytes, PageHeader, useLoad } from '../ui';
import { input, SecretBox, useAction, useConfirm } from './admin-common';

interface ProjectSettings {
  object: 'project_settings';
  project_id: string;
  access: 'public' | 'private';
  private_prefixes: string[];
  delivery_domain: string;
  delivery_url: string;
}

interface Usage {
  object: 'usage';
  storage_bytes: number;
  media: number;
  files: number;
  tasks: Record<string, number>;
  days: { date: string; created: number; completed: number; failed: number }[];
}

export function SettingsPage() {
  const { session } = useSession();
  return (
    <>
      <PageHeader title="Settings" />
      <p class="muted">
        Settings of the project <strong>{session.project.name}</strong>.
      </p>
      <DeliveryAccess />
      <SigningSecret />
      <UsagePanel />
      <Sessions />
    </>
  );
}

function DeliveryAccess() {
  const { session } = useSession();
  const settings = useLoad(() => api<ProjectSettings>('GET', '/project/settings'), [session.project.id]);
  const { busy, run } = useAction();
  const [access, setAccess] = useState<'public' | 'private'>('public');
  const [prefixes, setPrefixes] = useState<string[]>([]);

  useEffect(() => {
    if (!settings.data) return;
    setAccess(settings.data.access);
    setPrefixes(settings.data.private_prefixes);
  }, [settings.data]);

  const save = async (e: Event) => {
    e.preventDefault();
    const clean = [...new Set(prefixes.map((p) => p.trim()).filter(Boolean))];
    const s = await run(
      'save',
      () => api<ProjectSettings>('PATCH', '/project/settings', { access, private_prefixes: clean }),
      'Delivery settings saved',
    );
    if (s) {
      settings.set(s);
      // the player and the grid sign URLs by these settings: let them read the new ones now
      forgetSignatures();
    }
  };

  const dirty =
    settings.data &&
    (access !== settings.data.access ||
      JSON.stringify(prefixes.map((p) => p.trim()).filter(Boolean)) !==
        JSON.stringify(settings.data.private_prefixes));

  return (
    <section class="panel" aria-labelledby="delivery">
      <h2 id="delivery">Delivery access</h2>
      {settings.loading && !settings.data && <p class="loading">Loading…</p>}
      <ErrorNote error={settings.error} />
      {settings.data && (
        <form onSubmit={save}>
          <p class="muted">
            Files are served from <code class="wrap-anywhere">{settings.data.delivery_url}</code>.
          </p>
          <fieldset class="radios">
            <legend>Who may download files</legend>
            <label>
              <input
                type="radio"
                name="access"
                value="public"
                checked={access === 'public'}
                onChange={() => setAccess('public')}
              />
              Public: anyone with the URL
            </label>
            <label>
              <input
                type="radio"
                name="access"
                value="private"
                checked={access === 'private'}
                onChange={() => setAccess('private')}
              />
              Private: only signed URLs
            </label>
          </fieldset>
          <fieldset class="radios block">
            <legend>Private folders</legend>
            <p class="field-hint">
              Files in these folders need a signed URL even when the project is public.
            </p>
            {prefixes.length === 0 && <p class="muted">No private folders.</p>}
            <ul class="prefix-list">
              {prefixes.map((p, i) => (
                <li key={i}>
                  <input
                    aria-label={`Private folder ${i + 1}`}
                    value={p}
                    maxLength={1000}
                    placeholder="e.g. private/ or invoices"
                    onInput={(e) => setPrefixes(prefixes.map((x, j) => (j === i ? input(e) : x)))}
                  />
                  <Button
                    class="btn-small"
                    aria-label={`Remove folder ${p || i + 1}`}
                    onClick={() => setPrefixes(prefixes.filter((_, j) => j !== i))}
                  >
                    Remove
                  </Button>
                </li>
              ))}
            </ul>
            <Button
              class="btn-small"
              onClick={() => setPrefixes([...prefixes, ''])}
              disabled={prefixes.length >= 100}
            >
              Add folder
            </Button>
          </fieldset>
          <div class="btn-row">
            <Button type="submit" kind="primary" busy={busy === 'save'} disabled={!dirty}>
              Save delivery settings
            </Button>
          </div>
        </form>
      )}
    </section>
  );
}

function SigningSecret() {
  const { session } = useSession();
  const { busy, run } = useAction();
  const confirm = useConfirm();
  const [secret, setSecret] = useState<string | null>(null);
  useEffect(() => setSecret(null), [session.project.id]);

  const reveal = async () => {
    const s = await run('reveal', () => api<{ secret: string }>('GET', '/webhooks/secret'));
    if (s) setSecret(s.secret);
  };
  const rotate = async () => {
    const ok = await confirm.ask(
      'Rotate the signing secret?',
      <p>
        Every webhook sent from now on (task webhooks, http steps, pending retries) is signed with a new
        secret. Receivers that check signatures must get the new one.
      </p>,
      'Rotate',
    );
    if (!ok) return;
    const s = await run(
      'rotate',
      () => api<{ secret: string }>('POST', '/webhooks/secret/rotate'),
      'Signing secret rotated',
    );
    if (s) setSecret(s.secret);
  };

  return (
    <section class="panel" aria-labelledby="signing">
      <h2 id="signing">Webhook signing secret</h2>
      <p class="muted">
        Task webhooks and workflow http steps are signed with it (Standard Webhooks). Webhook endpoints have
        their own secrets.
      </p>
      {secret ? (
        <SecretBox value={secret} testid="webhook-secret" />
      ) : (
        <p>
          <code>whsec_••••••••••••</code>
        </p>
      )}
      <div class="btn-row spaced">
        {secret ? (
          <Button onClick={() => setSecret(null)}>Hide</Button>
        ) : (
          <Button onClick={reveal} busy={busy === 'reveal'}>
            Reveal
          </Button>
        )}
        <Button kind="danger" onClick={rotate} busy={busy === 'rotate'}>
          Rotate
        </Button>
      </div>
      {confirm.dialog}
    </section>
  );
}

function UsagePanel() {
  const { session } = useSession();
  const usage = useLoad(() => api<Usage>('GET', '/usage?days=14'), [session.project.id]);
  const u = usage.data;
  const max = u ? Math.max(1, ...u.days.map((d) => d.created)) : 1;
  const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return (
    <section class="panel" aria-labelledby="usage" data-testid="usage">
      <h2 id="usage">Usage</h2>
      {usage.loading && !u && <p class="loading">Loading…</p>}
      <ErrorNote error={usage.error} />
      {u && (
        <>
          <dl class="stats">
            <div>
              <dt>Storage used</dt>
              <dd data-testid="usage-storage">{formatBytes(u.storage_bytes)}</dd>
            </div>
            <div>
              <dt>Media</dt>
              <dd data-testid="usage-media">{u.media.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Files</dt>
              <dd>{u.files.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Tasks</dt>
              <dd>{total(u.tasks).toLocaleString()}</dd>
            </div>
            {Object.entries(u.tasks).map(([status, n]) => (
              <div key={status}>
                <dt>Tasks {status}</dt>
                <dd>{n.toLocaleString()}</dd>
              </div>
            ))}
          </dl>
          <h3 class="field-label" id="usage-chart-title">
            Tasks per day, last {u.days.length} days
          </h3>
          <div class="legend" aria-hidden="true">
            <span>
              <span class="swatch" />
              created
            </span>
            <span>
              <span class="swatch failed" />
              of which failed
            </span>
          </div>
          <div class="chart" aria-hidden="true">
            {u.days.map((d) => (
              <div
                class="chart-day"
                key={d.date}
                title={`${d.date}: ${d.created} created, ${d.completed} completed, ${d.failed} failed`}
              >
                <div
                  class="bar failed"
                  style={{ height: `${(Math.min(d.failed, d.created) / max) * 100}%` }}
                />
                <div class="bar" style={{ height: `${(Math.max(0, d.created - d.failed) / max) * 100}%` }} />
              </div>
            ))}
          </div>
          {u.days.length > 0 && (
            <div class="chart-axis" aria-hidden="true">
              <span>{u.days[0].date}</span>
              <span>{u.days[u.days.length - 1].date}</span>
            </div>
          )}
          <details>
            <summary>Tasks per day as a table</summary>
            <div class="table-wrap">
              <table aria-labelledby="usage-chart-title">
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Created</th>
                    <th scope="col">Completed</th>
                    <th scope="col">Failed</th>
                  </tr>
                </thead>
                <tbody>
                  {u.days.map((d) => (
                    <tr key={d.date}>
                      <th scope="row">{d.date}</th>
                      <td>{d.created}</td>
                      <td>{d.completed}</td>
                      <td>{d.failed}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </section>
  );
}

function Sessions() {
  const { busy, run } = useAction();
  const confirm = useConfirm();
  const everywhere = async () => {
    const ok = await confirm.ask(
      'Sign out everywhere?',
      <p>Every session of your account ends, this one included. You will need to sign in again.</p>,
      'Sign out everywhere',
    );
    if (!ok) return;
    const done = await run('out', () => api('POST', '/auth/sign-out-everywhere'));
    if (done === undefined) return;
    closeLive();
    location.hash = '#/sign-in';
    location.reload();
  };
  return (
    <section class="panel" aria-labelledby="sessions">
      <h2 id="sessions">Sessions</h2>
      <p class="muted">Signed in on a shared or lost device? End every session of your account.</p>
      <Button kind="danger" onClick={everywhere} busy={busy === 'out'}>
        Sign out everywhere
      </Button>
      {confirm.dialog}
    </section>
  );
}
