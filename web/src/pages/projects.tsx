// Projects of the organisation: which one is selected, switch, create, rename.
import { useState } from 'preact/hooks';
import { api, list } from '../api';
import { closeLive } from '../live';
import { useSession } from '../session';
import { Button, Empty, ErrorNote, Field, formatDate, PageHeader, useLoad } from '../ui';
import { input, useAction } from './admin-common';

interface Project {
  object: 'project';
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export function ProjectsPage() {
  const { session, refresh } = useSession();
  const projects = useLoad(() => list<Project>('/projects'), []);
  const { busy, run } = useAction();
  const [name, setName] = useState('');
  const [editing, setEditing] = useState<{ id: string; name: string } | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    const p = await run(
      'create',
      () => api<Project>('POST', '/projects', { name: name.trim() }),
      (p) => `Project ${p.name} created`,
    );
    if (!p) return;
    setName('');
    projects.reload();
    await refresh().catch(() => {});
  };

  const rename = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const p = await run(
      `rename:${editing.id}`,
      () => api<Project>('PATCH', `/projects/${editing.id}`, { name: editing.name.trim() }),
      'Project renamed',
    );
    if (!p) return;
    setEditing(null);
    projects.reload();
    await refresh().catch(() => {});
  };

  const select = async (p: Project) => {
    const done = await run(
      `switch:${p.id}`,
      async () => {
        await api('PATCH', '/auth/session', { project_id: p.id });
        closeLive();
        await refresh();
        return true;
      },
      `Switched to ${p.name}`,
    );
    if (done) projects.reload();
  };

  const items = projects.data?.items ?? [];
  return (
    <>
      <PageHeader title="Projects" />
      <p class="muted">
        Each project has its own media, keys, automations, webhooks and delivery settings. The dashboard works
        on the selected one.
      </p>
      <section class="panel" aria-labelledby="new-project">
        <h2 id="new-project">New project</h2>
        <form class="admin-form" onSubmit={create}>
          <Field label="Name">
            <input
              name="project-name"
              required
              maxLength={200}
              value={name}
              onInput={(e) => setName(input(e))}
            />
          </Field>
          <Button type="submit" kind="primary" busy={busy === 'create'} disabled={!name.trim()}>
            Create project
          </Button>
        </form>
      </section>

      <section class="panel" aria-labelledby="project-list">
        <h2 id="project-list">All projects</h2>
        {projects.loading && !projects.data && <p class="loading">Loading…</p>}
        <ErrorNote error={projects.error} />
        {projects.data && items.length === 0 && <Empty>No projects.</Empty>}
        {items.length > 0 && (
          <div class="table-wrap">
            <table class="cards">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">ID</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((p) => {
                  const selected = p.id === session.project.id;
                  const isEditing = editing?.id === p.id;
                  return (
                    <tr key={p.id} aria-current={selected ? 'true' : undefined}>
                      <td data-label="Name">
                        {isEditing ? (
                          <form class="admin-form" onSubmit={rename}>
                            <Field label={`New name for ${p.name}`}>
                              <input
                                required
                                maxLength={200}
                                value={editing.name}
                                onInput={(e) => setEditing({ id: p.id, name: input(e) })}
                                // biome-ignore lint/a11y/noAutofocus: the field the user just asked to edit
                                autoFocus
                              />
                            </Field>
                            <Button
                              type="submit"
                              kind="primary"
                              class="btn-small"
                              busy={busy === `rename:${p.id}`}
                              disabled={!editing.name.trim()}
                            >
                              Save
                            </Button>
                            <Button class="btn-small" onClick={() => setEditing(null)}>
                              Cancel
                            </Button>
                          </form>
                        ) : (
                          <>
                            <strong>{p.name}</strong>
                            {selected && <span class="selected-tag">selected</span>}
                          </>
                        )}
                      </td>
                      <td data-label="ID">
                        <code class="wrap-anywhere">{p.id}</code>
                      </td>
                      <td data-label="Created">{formatDate(p.created_at)}</td>
                      <td class="actions">
                        {!selected && (
                          <Button
                            class="btn-small"
                            kind="primary"
                            busy={busy === `switch:${p.id}`}
                            onClick={() => select(p)}
                            aria-label={`Switch to ${p.name}`}
                          >
                            Switch
                          </Button>
                        )}
                        {!isEditing && (
                          <Button
                            class="btn-small"
                            onClick={() => setEditing({ id: p.id, name: p.name })}
                            aria-label={`Rename ${p.name}`}
                          >
                            Rename
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
