// Signing in, and setting a password from a one-time sign-in link (#/accept/<token>).
import { useState } from 'preact/hooks';
import { api } from '../api';
import { navigate } from '../router';
import type { Session } from '../session';
import { Button, ErrorNote, Field } from '../ui';

function AuthCard(props: { title: string; children: preact.ComponentChildren }) {
  return (
    <main class="auth" id="main">
      <div class="auth-card">
        <p class="brand">mediary</p>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </main>
  );
}

export function SignInPage(props: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <AuthCard title="Sign in">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            props.onSignedIn(await api<Session>('POST', '/auth/sign-in', { email, password }));
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Email">
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Field label="Password">
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </Field>
        <ErrorNote error={error} />
        <Button type="submit" kind="primary" busy={busy}>
          Sign in
        </Button>
      </form>
      <p class="muted">
        No password yet? Use the sign-in link that <code>mediary start</code> or{' '}
        <code>mediary users create</code> printed. Forgot it? <code>mediary users reset-password EMAIL</code>.
      </p>
    </AuthCard>
  );
}

export function AcceptPage(props: { token: string; onSignedIn: (s: Session) => void }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = again.length > 0 && again !== password ? 'The two passwords differ.' : null;
  return (
    <AuthCard title="Set your password">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (mismatch) return;
          setBusy(true);
          setError(null);
          try {
            const s = await api<Session>('POST', '/auth/accept', { token: props.token, password });
            // the token is spent: keep it out of the address bar and history
            navigate('/media', { replace: true });
            props.onSignedIn(s);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="New password" hint="At least 10 characters.">
          <input
            type="password"
            name="password"
            autocomplete="new-password"
            minLength={10}
            required
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Field label="Repeat it" error={mismatch}>
          <input
            type="password"
            name="password2"
            autocomplete="new-password"
            required
            value={again}
            onInput={(e) => setAgain((e.target as HTMLInputElement).value)}
          />
        </Field>
        <ErrorNote error={error} />
        <Button type="submit" kind="primary" busy={busy}>
          Set password and sign in
        </Button>
      </form>
    </AuthCard>
  );
}
