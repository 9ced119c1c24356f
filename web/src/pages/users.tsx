// Users of the organisation (owners only): invite (a one-time sign-in link), change role, remove.
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
import { input, SecretBox, useAction, useConfirm } from './admin-common';

type Role = 'owner' | 'member';

interface User {
  object: 'user';
  id: string;
  email: string;
  role: Role;
  status: 'active' | 'invited';
  created_at: string;
  last_sign_in_at: string | null;
  sign_in_url?: string;
}

export function UsersPage() {
  const { session } = useSession();
  if (session.user.role !== 'owner') {
    return (
      <>
        <PageHeader title="Users" />
        <p class="panel" data-testid="owners-only">
          Only owners manage users. Ask an owner of this organisation to invite people or change roles.
        </p>
      </>
    );
  }
  return <OwnerUsers />;
}

function OwnerUsers() {
  const { session } = useSession();
  const users = useLoad(() => list<User>('/users'), []);
  const { busy, run } = useAction();
  const confirm = useConfirm();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [invited, setInvited] = useState<{ email: string; url: string } | null>(null);

  const invite = async (e: Event) => {
    e.preventDefault();
    const u = await run(
      'invite',
      () => api<User>('POST', '/users', { email: email.trim(), role }),
      (u) => `${u.email} invited`,
    );
    if (!u) return;
    setEmail('');
    users.reload();
    if (u.sign_in_url) setInvited({ email: u.email, url: u.sign_in_url });
  };

  const changeRole = async (u: User, next: Role) => {
    if (u.id === session.user.id && next === 'member') {
      const ok = await confirm.ask(
        'Make yourself a member?',
        <p>You will no longer be able to manage users.</p>,
        'Make me a member',
      );
      if (!ok) {
        users.reload();
        return;
      }
    }
    await run(
      `role:${u.id}`,
      () => api('PATCH', `/users/${u.id}`, { role: next }),
      `${u.email} is now ${next}`,
    );
    users.reload();
  };

  const newLink = async (u: User) => {
    if (u.status === 'active') {
      const ok = await confirm.ask(
        'Reset this password?',
        <p>
          <strong>{u.email}</strong>'s password stops working and their sessions end; the new link sets a new
          one.
        </p>,
        'Reset and make a link',
      );
      if (!ok) return;
    }
    const made = await run(
      `link:${u.id}`,
      () => api<User>('POST', `/users/${u.id}/sign-in-link`),
      `A new sign-in link for ${u.email}`,
    );
    if (!made) return;
    users.reload();
    if (made.sign_in_url) setInvited({ email: made.email, url: made.sign_in_url });
  };

  const remove = async (u: User) => {
    const ok = await confirm.ask(
      'Remove this user?',
      <p>
        <strong>{u.email}</strong> loses access at once and their sessions end.
      </p>,
      'Remove',
    );
    if (!ok) return;
    const done = await run(`remove:${u.id}`, () => api('DELETE', `/users/${u.id}`), `${u.email} removed`);
    if (done !== undefined) users.reload();
  };

  const items = users.data?.items ?? [];
  return (
    <>
      <PageHeader title="Users" />
      <section class="panel" aria-labelledby="invite">
        <h2 id="invite">Invite someone</h2>
        <form class="admin-form" onSubmit={invite}>
          <Field label="Email">
            <input
              type="email"
              name="invite-email"
              required
              autocomplete="off"
              value={email}
              onInput={(e) => setEmail(input(e))}
            />
          </Field>
          <Field label="Role">
            <select name="invite-role" value={role} onChange={(e) => setRole(input(e) as Role)}>
              <option value="member">member</option>
              <option value="owner">owner (also manages users)</option>
            </select>
          </Field>
          <Button type="submit" kind="primary" busy={busy === 'invite'}>
            Invite
          </Button>
        </form>
      </section>

      <section class="panel" aria-labelledby="user-list">
        <h2 id="user-list">People</h2>
        {users.loading && !users.data && <p class="loading">Loading…</p>}
        <ErrorNote error={users.error} />
        {users.data && items.length === 0 && <Empty>No users.</Empty>}
        {items.length > 0 && (
          <div class="table-wrap">
            <table class="cards">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((u) => (
                  <tr key={u.id}>
                    <td data-label="Email" class="wrap-anywhere">
                      {u.email}
                      {u.id === session.user.id && <span class="selected-tag">you</span>}
                    </td>
                    <td data-label="Role">
                      <select
                        aria-label={`Role of ${u.email}`}
                        value={u.role}
                        disabled={busy === `role:${u.id}`}
                        onChange={(e) => changeRole(u, input(e) as Role)}
                      >
                        <option value="member">member</option>
                        <option value="owner">owner</option>
                      </select>
                    </td>
                    <td data-label="Status">
                      <Status status={u.status} />
                    </td>
                    <td data-label="Last sign-in" title={formatDate(u.last_sign_in_at)}>
                      {u.last_sign_in_at ? timeAgo(u.last_sign_in_at) : 'never'}
                    </td>
                    <td class="actions">
                      {u.id !== session.user.id && (
                        <Button
                          class="btn-small"
                          busy={busy === `link:${u.id}`}
                          onClick={() => newLink(u)}
                          aria-label={`${u.status === 'invited' ? 'New link' : 'Reset password'} for ${u.email}`}
                        >
                          {u.status === 'invited' ? 'New link' : 'Reset password'}
                        </Button>
                      )}
                      {u.id !== session.user.id && (
                        <Button
                          class="btn-small"
                          kind="danger"
                          busy={busy === `remove:${u.id}`}
                          onClick={() => remove(u)}
                          aria-label={`Remove ${u.email}`}
                        >
                          Remove
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <Modal title="Sign-in link" open={invited !== null} onClose={() => setInvited(null)}>
        <div class="stack">
          <p>
            Send this link to <strong>{invited?.email}</strong>. It works once, for 24 hours, and lets them
            set a password.
          </p>
          <p class="warn-note">You won't see this link again.</p>
          {invited && <SecretBox value={invited.url} testid="invite-url" />}
          <div class="btn-row end">
            <Button kind="primary" onClick={() => setInvited(null)}>
              Done
            </Button>
          </div>
        </div>
      </Modal>
      {confirm.dialog}
    </>
  );
}
