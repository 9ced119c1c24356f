// Admin commands that talk to the same store as the server: projects, keys and dashboard users.
import { createContext } from '../app-context.js';
import type { Config } from '../config.js';
import { keyStatus } from '../services/projects.service.js';

interface Opts {
  json: boolean;
  project?: string;
  name?: string;
  /** users create: owner or member */
  role?: string;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function table(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) {
    out('(none)');
    return;
  }
  const cols = Object.keys(rows[0]);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  out(cols.map((c, i) => c.padEnd(widths[i])).join('  '));
  for (const r of rows) out(cols.map((c, i) => String(r[c] ?? '').padEnd(widths[i])).join('  '));
}

export async function projectsCommand(config: Config, args: string[], opts: Opts): Promise<number> {
  const ctx = await createContext(config);
  try {
    await ctx.projects.bootstrap(config.initialApiKey);
    const [sub, name] = args;
    if (sub === 'list' || sub === undefined) {
      const rows = (await ctx.projects.listProjects()).map((p) => ({
        id: p.id,
        name: p.name,
        created: p.created,
      }));
      if (opts.json) out(JSON.stringify(rows, null, 2));
      else table(rows);
      return 0;
    }
    if (sub === 'create') {
      if (!name) throw new Error('usage: mediary projects create NAME');
      const p = await ctx.projects.createProject(name);
      const row = { id: p.id, name: p.name, created: p.created };
      out(opts.json ? JSON.stringify(row, null, 2) : `created project ${p.name} (${p.id})`);
      return 0;
    }
    process.stderr.write(`unknown subcommand "projects ${sub}"\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}

export async function keysCommand(config: Config, args: string[], opts: Opts): Promise<number> {
  const ctx = await createContext(config);
  try {
    await ctx.projects.bootstrap(config.initialApiKey);
    const [sub, id] = args;
    if (sub === 'create') {
      if (!opts.project) throw new Error('usage: mediary keys create --project NAME');
      const key = await ctx.projects.createKey(opts.project, { name: opts.name });
      if (opts.json) out(JSON.stringify(key, null, 2));
      else out(`API key for project ${key.project} (${key.id}), shown once:\n\n  ${key.key}\n`);
      return 0;
    }
    if (sub === 'list' || sub === undefined) {
      const project = opts.project ? await ctx.projects.findProject(opts.project) : undefined;
      const rows = (await ctx.projects.listKeys(project?.id)).map((k) => ({
        id: k.id,
        project_id: k.project_id,
        name: k.name,
        key: `…${k.key_hint}`,
        created: k.created,
        status: keyStatus(k),
        last_used: k.last_used,
        expires: k.revoked ?? k.expires,
      }));
      if (opts.json) out(JSON.stringify(rows, null, 2));
      else table(rows);
      return 0;
    }
    if (sub === 'revoke') {
      if (!id) throw new Error('usage: mediary keys revoke ID');
      await ctx.projects.revokeKey(id);
      out(`revoked ${id}`);
      return 0;
    }
    process.stderr.write(`unknown subcommand "keys ${sub}"\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}

export async function usersCommand(config: Config, args: string[], opts: Opts): Promise<number> {
  const ctx = await createContext(config);
  try {
    await ctx.projects.bootstrap(config.initialApiKey);
    const [sub, email] = args;
    const link = (url: string) => `Sign in (link valid 24 h, shown once): ${url}`;
    if (sub === 'list' || sub === undefined) {
      const rows = (await ctx.accounts.listUsers()).map((u) => ({
        id: u.id,
        email: u.email,
        role: u.role,
        status: u.password_hash ? 'active' : 'invited',
        created: u.created,
        last_sign_in: u.last_sign_in,
      }));
      if (opts.json) out(JSON.stringify(rows, null, 2));
      else table(rows);
      return 0;
    }
    if (sub === 'create') {
      const role = opts.role ?? 'member';
      if (!email || (role !== 'owner' && role !== 'member')) {
        throw new Error('usage: mediary users create EMAIL [--role owner|member]');
      }
      const { user, url } = await ctx.accounts.createUser(undefined, email, role);
      if (opts.json)
        out(JSON.stringify({ id: user.id, email: user.email, role: user.role, sign_in_url: url }, null, 2));
      else out(`created ${user.role} ${user.email} (${user.id})\n${link(url)}`);
      return 0;
    }
    if (sub === 'reset-password') {
      if (!email) throw new Error('usage: mediary users reset-password EMAIL');
      const user = await ctx.accounts.findUserByEmail(email);
      const { url } = await ctx.accounts.resetPassword(user.id);
      if (opts.json) out(JSON.stringify({ id: user.id, email: user.email, sign_in_url: url }, null, 2));
      else out(`${user.email}: password cleared and sessions ended\n${link(url)}`);
      return 0;
    }
    process.stderr.write(`unknown subcommand "users ${sub}"\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}
