// Dashboard sessions (docs/webapp.md, "Sessions"): sign in, accept a sign-in link, read and switch the session,
// sign out. Registered outside the API key hook; the same-origin rules apply to every call, and the CSRF token
// to the calls that change a live session.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import {
  type AccountsService,
  type IssuedSession,
  SESSION_COOKIE,
  SignInThrottledError,
} from '../../services/accounts.service.js';
import { checkSameOrigin, type SessionRules, sessionOf, sessionRules } from '../plugins/auth.js';
import { sendMessage, sendObject } from '../respond.js';
import { errorResponses, MessageWire, ObjectResponse } from '../wire-schemas.js';

const Ref = Type.Object({ id: Type.String(), name: Type.String() });
export const SessionWire = Type.Object(
  {
    object: Type.Literal('session'),
    user: Type.Object({ id: Type.String(), email: Type.String(), role: Type.String() }),
    project: Ref,
    projects: Type.Array(Ref),
    csrf_token: Type.String({ description: 'send as X-CSRF-Token on POST, PUT, PATCH, DELETE' }),
    delivery_url: Type.String(),
    expires_at: Type.String({ description: 'ISO 8601, UTC: the absolute end of the session' }),
  },
  { description: 'Session' },
);

const SignInBody = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1000 }) },
  { additionalProperties: false },
);
const AcceptBody = Type.Object(
  { token: Type.String({ maxLength: 200 }), password: Type.String({ maxLength: 1000 }) },
  { additionalProperties: false },
);
const SwitchBody = Type.Object(
  { project_id: Type.String({ maxLength: 100 }) },
  { additionalProperties: false },
);

const Session = { 200: ObjectResponse(SessionWire), ...errorResponses };
const Message = { 200: ObjectResponse(MessageWire), ...errorResponses };

function setCookie(reply: FastifyReply, value: string, maxAge: number): void {
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${value}; HttpOnly; Secure; SameSite=Lax; Path=/; Max-Age=${maxAge}`,
  );
}

function clearCookie(reply: FastifyReply): void {
  setCookie(reply, '', 0);
}

export function authRoutes(
  api: FastifyInstance,
  ctx: { accounts: AccountsService; config: { publicUrl: string } },
) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts } = ctx;
  const rules: SessionRules = sessionRules(accounts, ctx.config.publicUrl);
  const tags = ['sessions'];
  // the session answers never belong in a shared cache
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const issue = (req: FastifyRequest, reply: FastifyReply, s: IssuedSession) => {
    setCookie(reply, s.cookie, s.maxAgeSeconds);
    return sendObject(req, reply, s.session, { self: '/auth/session' });
  };

  /** The live session, or 401 session_missing (with the cookie cleared). */
  const required = async (req: FastifyRequest, reply: FastifyReply, csrf: boolean) => {
    try {
      const s = await sessionOf(req, rules, { csrf });
      if (!s) throw new AppError('session_missing', 'Not signed in.');
      req.auth = s.auth;
      return s;
    } catch (err) {
      if (err instanceof AppError && err.code === 'session_missing') clearCookie(reply);
      throw err;
    }
  };

  app.post(
    '/auth/sign-in',
    { schema: { tags, summary: 'Sign in with email and password', body: SignInBody, response: Session } },
    async (req, reply) => {
      checkSameOrigin(req, rules);
      try {
        return issue(req, reply, await accounts.signIn(req.body.email, req.body.password, req.ip));
      } catch (err) {
        if (err instanceof SignInThrottledError) reply.header('retry-after', String(err.retryAfterSeconds));
        throw err;
      }
    },
  );

  app.post(
    '/auth/accept',
    {
      schema: {
        tags,
        summary: "Set the password of a sign-in link's user, use up the link, and sign in",
        body: AcceptBody,
        response: Session,
      },
    },
    async (req, reply) => {
      checkSameOrigin(req, rules);
      return issue(req, reply, await accounts.accept(req.body.token, req.body.password));
    },
  );

  app.get(
    '/auth/session',
    { schema: { tags, summary: 'The signed-in session', response: Session } },
    async (req, reply) => {
      const s = await required(req, reply, false);
      return sendObject(req, reply, await accounts.sessionObject(s.auth.sessionId));
    },
  );

  app.patch(
    '/auth/session',
    { schema: { tags, summary: 'Select another project of the org', body: SwitchBody, response: Session } },
    async (req, reply) => {
      const s = await required(req, reply, true);
      return sendObject(req, reply, await accounts.switchProject(s.auth, req.body.project_id));
    },
  );

  app.post(
    '/auth/sign-out',
    { schema: { tags, summary: 'End this session', response: Message } },
    async (req, reply) => {
      const s = await required(req, reply, true);
      await accounts.signOut(s.auth.sessionId);
      clearCookie(reply);
      return sendMessage(req, reply, 'Signed out.');
    },
  );

  app.post(
    '/auth/sign-out-everywhere',
    { schema: { tags, summary: 'End every session of the signed-in user', response: Message } },
    async (req, reply) => {
      const s = await required(req, reply, true);
      const n = await accounts.signOutEverywhere(s.auth.userId);
      clearCookie(reply);
      return sendMessage(req, reply, `Signed out of ${n} session${n === 1 ? '' : 's'}.`);
    },
  );
}
