// The dashboard shell: who is signed in, which project is selected, the navigation, and the page.
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import '../styles.css';
import { ApiError, api, setCsrfToken, whenUnauthorized } from './api';
import { closeLive } from './live';
import { AcceptPage, SignInPage } from './pages/auth';
import { AutomationsPage } from './pages/automations';
import { KeysPage } from './pages/keys';
import { MediaPage } from './pages/media';
import { MediaDetailPage } from './pages/media-detail';
import { ProjectsPage } from './pages/projects';
import { SettingsPage } from './pages/settings';
import { TaskDetailPage } from './pages/task-detail';
import { TasksPage } from './pages/tasks';
import { UsersPage } from './pages/users';
import { WebhooksPage } from './pages/webhooks';
import { href, navigate, type Route, useRoute } from './router';
import { type Session, SessionContext } from './session';

const NAV: { name: string; label: string; owner?: boolean }[] = [
  { name: 'media', label: 'Media' },
  { name: 'tasks', label: 'Tasks' },
  { name: 'automations', label: 'Automations' },
  { name: 'webhooks', label: 'Webhooks' },
  { name: 'keys', label: 'API keys' },
  { name: 'projects', label: 'Projects' },
  { name: 'settings', label: 'Settings' },
  { name: 'users', label: 'Users', owner: true },
];

function Page(props: { route: Route }) {
  const { name, params } = props.route;
  switch (name) {
    case 'media':
      return params[0] ? <MediaDetailPage id={params[0]} /> : <MediaPage route={props.route} />;
    case 'tasks':
      return params[0] ? <TaskDetailPage id={params[0]} /> : <TasksPage route={props.route} />;
    case 'automations':
      return <AutomationsPage route={props.route} />;
    case 'webhooks':
      return <WebhooksPage route={props.route} />;
    case 'keys':
      return <KeysPage />;
    case 'projects':
      return <ProjectsPage />;
    case 'settings':
      return <SettingsPage />;
    case 'users':
      return <UsersPage />;
    default:
      return <MediaPage route={props.route} />;
  }
}

function Shell(props: { session: Session; route: Route; refresh: () => Promise<void> }) {
  const { session, route } = props;
  const [toast, setToast] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const showToast = useCallback((text: string, kind: 'ok' | 'error' = 'ok') => {
    setToast({ text, kind });
    setTimeout(() => setToast(null), 4000);
  }, []);

  const switchProject = async (id: string) => {
    await api('PATCH', '/auth/session', { project_id: id });
    closeLive();
    await props.refresh();
    navigate('/media');
  };
  const signOut = async () => {
    await api('POST', '/auth/sign-out').catch(() => {});
    closeLive();
    location.hash = '#/sign-in';
    location.reload();
  };

  return (
    <SessionContext.Provider value={{ session, refresh: props.refresh, toast: showToast }}>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <div class={`shell ${menuOpen ? 'menu-open' : ''}`}>
        <header class="topbar">
          <button
            type="button"
            class="btn btn-plain menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="nav"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Menu
          </button>
          <a class="brand" href={href('/media')}>
            mediary
          </a>
          <label class="project-switch">
            <span class="visually-hidden">Project</span>
            <select
              aria-label="Project"
              value={session.project.id}
              onChange={(e) => switchProject((e.target as HTMLSelectElement).value)}
              data-project={session.project.name}
            >
              {session.projects.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <span class={`env-badge env-${session.project.name === 'production' ? 'prod' : 'other'}`}>
            {session.project.name}
          </span>
          <span class="spacer" />
          <span class="user-email">{session.user.email}</span>
          <button type="button" class="btn btn-plain" onClick={signOut}>
            Sign out
          </button>
        </header>
        <nav id="nav" class="sidenav" aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.owner || session.user.role === 'owner').map((n) => (
              <li key={n.name}>
                <a
                  href={href(`/${n.name}`)}
                  aria-current={
                    route.name === n.name || (!route.name && n.name === 'media') ? 'page' : undefined
                  }
                  onClick={() => setMenuOpen(false)}
                >
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <Page route={route} />
        </main>
      </div>
      {toast && (
        <div class={`toast toast-${toast.kind}`} role="status">
          {toast.text}
        </div>
      )}
    </SessionContext.Provider>
  );
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const s = await api<Session>('GET', '/auth/session');
      setCsrfToken(s.csrf_token);
      setSession(s);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setSession(null);
      else setFailure(err instanceof Error ? err.message : String(err));
    }
  }, []);

  useEffect(() => {
    whenUnauthorized(() => setSession(null));
    refresh();
  }, [refresh]);

  const signedIn = async (s: Session) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
    navigate('/media');
  };

  if (route.name === 'accept') return <AcceptPage token={route.params[0] ?? ''} onSignedIn={signedIn} />;
  if (session === undefined) {
    return failure ? (
      <p class="error-note" role="alert">
        The server could not be reached: {failure}
      </p>
    ) : (
      <p class="loading">Loading…</p>
    );
  }
  if (session === null) return <SignInPage onSignedIn={signedIn} />;
  if (route.name === 'sign-in') {
    navigate('/media');
    return null;
  }
  return <Shell session={session} route={route} refresh={refresh} />;
}

const root = document.getElementById('root');
if (root) render(<App />, root);
