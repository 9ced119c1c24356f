// Org endpoints for the dashboard and the CLI (docs/webapp.md, "Org endpoints"): projects, API keys, users and
// usage. Keys and usage are about the caller's project (a key's own, a session's selected one); projects and
// users are about the org; users are for owners in a signed-in session.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { type AccountsService, userToWire } from '../../services/accounts.service.js';
import {
  type AuthContext,
  MAX_ROLL_GRACE_SECONDS,
  type ProjectsService,
  projectToWire,
} from '../../services/projects.service.js';
import { MAX_USAGE_DAYS, type UsageService } from '../../services/usage.service.js';
import { authOf } from '../context.js';
import { sendList, sendObject } from '../respond.js';
import { IdParams } from '../schemas.js';
import { absentBodyIsEmpty } from '../validation.js';
import { errorResponses, ListResponse, ObjectResponse } from '../wire-schemas.js';

function OrNull<T extends TSchema>(schema: T) {
  return Type.Unsafe<T['static'] | null>({ ...schema, type: [schema.type, 'null'] });
}

const Timestamp = Type.String({ description: 'ISO 8601, UTC' });

export const ProjectWire = Type.Object(
  {
    object: Type.Literal('project'),
    id: Type.String(),
    name: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'Project' },
);

const keyFields = {
  object: Type.Literal('key'),
  id: Type.String(),
  name: OrNull(Type.String()),
  prefix: Type.String({ description: 'the first and last characters, e.g. mediary_AbCd…wxyz' }),
  status: Type.String({ description: 'active, paused, expiring or revoked' }),
  project_id: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
  last_used_at: OrNull(Timestamp),
  expires_at: OrNull(Timestamp),
};
export const KeyWire = Type.Object(keyFields, { description: 'API key (never its secret)' });
export const NewKeyWire = Type.Object(
  { ...keyFields, secret: Type.String({ description: 'the key itself, shown this once' }) },
  { description: 'API key with its secret' },
);

const userFields = {
  object: Type.Literal('user'),
  id: Type.String(),
  email: Type.String(),
  role: Type.String({ description: 'owner or member' }),
  created_at: Timestamp,
  last_sign_in_at: OrNull(Timestamp),
  status: Type.String({ description: 'active, or invited until the sign-in link is used' }),
};
export const UserWire = Type.Object(userFields, { description: 'User' });
export const NewUserWire = Type.Object(
  { ...userFields, sign_in_url: Type.String({ description: 'one-time sign-in link, valid 24 h' }) },
  { description: 'User with a sign-in link' },
);

export const UsageWire = Type.Object(
  {
    object: Type.Literal('usage'),
    project_id: Type.String(),
    storage_bytes: Type.Integer(),
    media: Type.Integer(),
    files: Type.Integer(),
    tasks: Type.Record(Type.String(), Type.Integer(), { description: 'tasks by status' }),
    days: Type.Array(
      Type.Object({
        date: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
        created: Type.Integer(),
        completed: Type.Integer(),
        failed: Type.Integer(),
      }),
    ),
  },
  { description: 'Usage of the project' },
);

const Role = Type.Union([Type.Literal('owner'), Type.Literal('member')]);
const ProjectBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 63 }) },
  { additionalProperties: false },
);
const KeyCreateBody = Type.Object(
  { name: Type.Optional(OrNull(Type.String({ maxLength: 200 }))) },
  { additionalProperties: false },
);
const KeyPatchBody = Type.Object(
  {
    name: Type.Optional(OrNull(Type.String({ maxLength: 200 }))),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('paused')])),
  },
  { additionalProperties: false },
);
const RollBody = Type.Object(
  {
    grace_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_ROLL_GRACE_SECONDS,
        default: 0,
        description: 'how long the old key keeps working (0-2592000 s)',
      }),
    ),
  },
  { additionalProperties: false },
);
const UserCreateBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), role: Type.Optional(Role) },
  { additionalProperties: false },
);
const UserPatchBody = Type.Object({ role: Role }, { additionalProperties: false });
const UsageQuery = Type.Object({
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_USAGE_DAYS, default: 14 })),
});

const ok = <T extends TSchema>(schema: T, status = 200) => ({
  [status]: ObjectResponse(schema as never),
  ...errorResponses,
});
const list = <T extends TSchema>(schema: T) => ({ 200: ListResponse(schema as never), ...errorResponses });

/** The whole list as one page (these lists are short: projects, keys, users of one org). */
function sendAll(req: FastifyRequest, reply: FastifyReply, items: { object: string }[]) {
  return sendList(req, reply, items as never, {
    page: 1,
    limit: Math.max(items.length, 1),
    total: items.length,
  });
}

function requireSession(auth: AuthContext): AuthContext {
  if (!auth.userId)
    throw new AppError('forbidden', 'This needs a signed-in session (the dashboard), not an API key.');
  return auth;
}

export function orgRoutes(
  api: FastifyInstance,
  ctx: { projects: ProjectsService; accounts: AccountsService; usage: UsageService },
) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { projects, accounts, usage } = ctx;

  // --- projects ---
  app.get(
    '/projects',
    { schema: { tags: ['org'], summary: "The org's projects", response: list(ProjectWire) } },
    async (req, reply) =>
      sendAll(req, reply, (await projects.listProjectsOfOrg(authOf(req).orgId)).map(projectToWire)),
  );
  app.post(
    '/projects',
    {
      schema: {
        tags: ['org'],
        summary: 'Create a project (session)',
        body: ProjectBody,
        response: ok(ProjectWire, 201),
      },
    },
    async (req, reply) => {
      requireSession(authOf(req));
      const p = await projects.createProject(req.body.name);
      return sendObject(req, reply, projectToWire(p), { status: 201, self: `/projects/${p.id}` });
    },
  );
  app.get(
    '/projects/:id',
    {
      schema: {
        tags: ['org'],
        summary: 'One project of the org',
        params: IdParams,
        response: ok(ProjectWire),
      },
    },
    async (req, reply) =>
      sendObject(req, reply, projectToWire(await projects.projectOfOrg(authOf(req).orgId, req.params.id))),
  );
  app.patch(
    '/projects/:id',
    {
      schema: {
        tags: ['org'],
        summary: 'Rename a project (session)',
        params: IdParams,
        body: ProjectBody,
        response: ok(ProjectWire),
      },
    },
    async (req, reply) => {
      const auth = requireSession(authOf(req));
      const p = await projects.renameProject(auth.orgId, req.params.id, req.body.name);
      return sendObject(req, reply, projectToWire(p));
    },
  );

  // --- keys of the caller's project ---
  app.get(
    '/keys',
    {
      schema: {
        tags: ['org'],
        summary: "The project's API keys (never their secrets)",
        response: list(KeyWire),
      },
    },
    async (req, reply) => {
      const at = Date.now();
      const rows = await projects.listKeys(authOf(req).projectId);
      return sendAll(
        req,
        reply,
        rows.map((r) => projects.keyToWire(r, at)),
      );
    },
  );
  app.post(
    '/keys',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['org'],
        summary: 'Create an API key; its secret is in this answer only',
        body: KeyCreateBody,
        response: ok(NewKeyWire, 201),
      },
    },
    async (req, reply) => {
      const auth = authOf(req);
      const created = await projects.createKey(auth.projectId, { name: req.body?.name ?? undefined });
      const row = await projects.keyOf(auth, created.id);
      return sendObject(
        req,
        reply,
        { ...projects.keyToWire(row), secret: created.key },
        { status: 201, self: `/keys/${created.id}` },
      );
    },
  );
  app.get(
    '/keys/:id',
    { schema: { tags: ['org'], summary: 'One API key', params: IdParams, response: ok(KeyWire) } },
    async (req, reply) =>
      sendObject(req, reply, projects.keyToWire(await projects.keyOf(authOf(req), req.params.id))),
  );
  app.patch(
    '/keys/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['org'],
        summary: 'Rename, pause (status: paused) or resume (status: active) an API key',
        params: IdParams,
        body: KeyPatchBody,
        response: ok(KeyWire),
      },
    },
    async (req, reply) => {
      const row = await projects.updateKey(authOf(req), req.params.id, req.body ?? {});
      return sendObject(req, reply, projects.keyToWire(row));
    },
  );
  app.post(
    '/keys/:id/roll',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ['org'],
        summary: 'A new key for this one; the old key keeps working for grace_seconds',
        params: IdParams,
        body: RollBody,
        response: ok(NewKeyWire, 201),
      },
    },
    async (req, reply) => {
      const { created, row } = await projects.rollKey(
        authOf(req),
        req.params.id,
        req.body?.grace_seconds ?? 0,
      );
      return sendObject(
        req,
        reply,
        { ...projects.keyToWire(row), secret: created.key },
        { status: 201, self: `/keys/${created.id}`, parent: '/keys' },
      );
    },
  );
  app.delete(
    '/keys/:id',
    {
      schema: {
        tags: ['org'],
        summary: 'Revoke an API key (a key cannot revoke itself)',
        params: IdParams,
        response: ok(KeyWire),
      },
    },
    async (req, reply) =>
      sendObject(req, reply, projects.keyToWire(await projects.revokeKeyOf(authOf(req), req.params.id))),
  );

  // --- users of the org (owners, in a session) ---
  app.get(
    '/users',
    { schema: { tags: ['org'], summary: "The org's users (owner)", response: list(UserWire) } },
    async (req, reply) => sendAll(req, reply, (await accounts.listUsersFor(authOf(req))).map(userToWire)),
  );
  app.post(
    '/users',
    {
      schema: {
        tags: ['org'],
        summary: 'Invite a user: the answer has a one-time sign-in link (owner)',
        body: UserCreateBody,
        response: ok(NewUserWire, 201),
      },
    },
    async (req, reply) => {
      const { user, url } = await accounts.inviteUser(authOf(req), req.body.email, req.body.role ?? 'member');
      return sendObject(
        req,
        reply,
        { ...userToWire(user), sign_in_url: url },
        { status: 201, self: `/users/${user.id}` },
      );
    },
  );
  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['org'],
        summary: "Change a user's role; the last owner cannot be demoted (owner)",
        params: IdParams,
        body: UserPatchBody,
        response: ok(UserWire),
      },
    },
    async (req, reply) =>
      sendObject(req, reply, userToWire(await accounts.setRole(authOf(req), req.params.id, req.body.role))),
  );
  app.delete(
    '/users/:id',
    {
      schema: {
        tags: ['org'],
        summary: 'Remove a user and end their sessions; not yourself, not the last owner (owner)',
        params: IdParams,
        response: ok(UserWire),
      },
    },
    async (req, reply) =>
      sendObject(req, reply, userToWire(await accounts.removeUser(authOf(req), req.params.id))),
  );

  app.post(
    '/users/:id/sign-in-link',
    {
      schema: {
        tags: ['org'],
        summary:
          'A new one-time sign-in link for a user who lost theirs; their password is cleared and their sessions end (owner)',
        params: IdParams,
        response: ok(NewUserWire, 201),
      },
    },
    async (req, reply) => {
      const { user, url } = await accounts.newSignInLink(authOf(req), req.params.id);
      return sendObject(
        req,
        reply,
        { ...userToWire(user), sign_in_url: url },
        { status: 201, self: `/users/${user.id}` },
      );
    },
  );

  // --- usage of the caller's project ---
  app.get(
    '/usage',
    {
      schema: {
        tags: ['org'],
        summary: 'Storage, media, files and tasks of the project, and tasks per day',
        querystring: UsageQuery,
        response: ok(UsageWire),
      },
    },
    async (req, reply) =>
      sendObject(req, reply, await usage.usage(authOf(req).projectId, req.query.days ?? 14)),
  );
}
