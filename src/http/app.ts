// Builds the API application. Tests call buildApp() and use inject() or listen on an ephemeral port;
// only cli/ binds the configured ports.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyBaseLogger, preValidationHookHandler } from 'fastify';
import Fastify, { type FastifyInstance, type FastifyServerFactory, LogController } from 'fastify';
import sjson from 'secure-json-parse';
import type { AppContext } from '../app-context.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { lazySerializers } from './lazy-serializers.js';
import { registerAuth, sessionRules } from './plugins/auth.js';
import { frameworkErrors, registerErrorHandling, sendError } from './plugins/errors.js';
import { registerIdempotency } from './plugins/idempotency.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { hooksBefore } from './route-hooks.js';
import { authRoutes } from './routes/auth.routes.js';
import { automationsRoutes } from './routes/automations.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { filesRoutes } from './routes/files.routes.js';
import { mediaRoutes } from './routes/media.routes.js';
import { orgRoutes } from './routes/org.routes.js';
import { projectRoutes } from './routes/project.routes.js';
import { signaturesRoutes } from './routes/signatures.routes.js';
import { tasksRoutes } from './routes/tasks.routes.js';
import { webhooksRoutes } from './routes/webhooks.routes.js';
import { createHttpsServer } from './tls.js';
import { registerValidation } from './validation.js';
import { resolveVersion, versionFromBody } from './versioning.js';
import { wantsHtml, webRoutes } from './web/web-app.js';
import './context.js';

export interface BuildOptions {
  /** serve HTTPS with this key pair; omitted for inject()-only tests and behind a trusted proxy */
  tls?: { key: string; cert: string };
  logger?: boolean;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function storableJson(v: unknown): boolean {
  if (typeof v === 'string') return !v.includes('\u0000') && !LONE_SURROGATE.test(v);
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) return v.every(storableJson);
  return Object.entries(v).every(([k, x]) => storableJson(k) && storableJson(x));
}

/** Parses any request body as JSON, whatever Content-Type says (spec §1.1). */
export function registerJsonBodies(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      const value = sjson.parse(text, { protoAction: 'remove', constructorAction: 'remove' });
      // PostgreSQL refuses NUL in text (a 500 deep in a write); a lone surrogate is no text at all
      if (!storableJson(value)) {
        return done(
          new AppError('request_invalid', 'The request body holds a NUL character or a lone surrogate.'),
          undefined,
        );
      }
      done(null, value);
    } catch (err) {
      done(
        new AppError('json_invalid', `The request body is not valid JSON: ${(err as Error).message}`),
        undefined,
      );
    }
  });
}

/** Fastify's types tie serverFactory to http.Server; the polyglot https.Server is compatible at runtime. */
export function httpsFactory(tls: { key: string; cert: string }): FastifyServerFactory {
  return ((handler: Parameters<typeof createHttpsServer>[1]) =>
    createHttpsServer(tls, handler)) as unknown as FastifyServerFactory;
}

/** Whether a request's logger writes info lines (pino's own check; a logger without one writes them all). */
function logsInfo(log: FastifyBaseLogger): boolean {
  const check = (log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  return check ? check.call(log, 'info') : true;
}

export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    ...(opts.logger === false ? { logger: false } : { loggerInstance: ctx.log as FastifyBaseLogger }),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => newId('req'),
    requestIdHeader: false,
    bodyLimit: config.limits.bodyBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    frameworkErrors: frameworkErrors(config.defaultVersion),
    serverFactory: opts.tls ? httpsFactory(opts.tls) : undefined,
    schemaController: lazySerializers(),
  });
  app.decorate('publicUrl', config.publicUrl);
  app.decorateRequest('apiVersion', config.defaultVersion);
  app.decorateRequest('auth', null);
  registerValidation(app);
  registerJsonBodies(app, config.limits.bodyBytes);
  registerErrorHandling(app);

  // The app's per-request hooks are callback-style: an async hook costs a promise and a turn of the
  // microtask queue per request (docs/benchmarks.md, API CPU per request).
  app.addHook('onRequest', (req, reply, done) => {
    req.apiVersion = resolveVersion(req.headers, config.defaultVersion);
    reply.header('x-request-id', req.id);
    if (config.trustProxy && req.headers['x-forwarded-proto'] === 'http') {
      reply.redirect(config.publicUrl + req.url, 308);
      return; // answered here: the lifecycle stops without done()
    }
    done();
  });

  // request rate and latency by route pattern (never the raw URL: ids would make a series per request)
  app.addHook('onResponse', (req, reply, done) => {
    ctx.metrics.request(
      req.method,
      req.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    // one line per request, with ids and never the query (signed URLs carry signatures there); the line's
    // object is built only when it will be written
    if (logsInfo(req.log)) {
      req.log.info(
        {
          request_id: req.id,
          project_id: req.auth?.projectId,
          key_id: req.auth?.keyId,
          method: req.method,
          path: req.url.split('?')[0],
          route: req.routeOptions.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    }
    done();
  });

  // A version key inside a JSON body (Go SDK 1.0) is a hint, not a field: taken and removed before
  // validation. Routes of methods that may carry a body run it (DELETE included); GET and HEAD do not.
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    if (methods.every((m) => m === 'GET' || m === 'HEAD')) return;
    r.preValidation = hooksBefore<preValidationHookHandler>(versionFromBody, r.preValidation);
  });

  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const set = routes.get(r.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    routes.set(r.url, set);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'mediary API',
        version: '2025-07-01',
        description:
          'Self-hosted media processing that speaks the ittybit HTTP API. Responses use the {meta, data, error, links} ' +
          'envelope for versions before 2025-08-20 and bare objects from 2025-08-20 (Accept-Version header).',
      },
      servers: [{ url: config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  // readiness for load balancers and orchestrators: 503 while the database, storage or ffmpeg is out of reach
  app.get('/ready', { schema: { hide: true } }, async (_req, reply) => {
    const r = await ctx.health.ready();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'unavailable', checks: r.checks });
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // the dashboard (docs/webapp.md); a browser that opens the API's root is sent there, API clients are not
  webRoutes(app, config);
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    if (wantsHtml(req)) return reply.redirect('/app/', 302);
    return reply.callNotFound();
  });

  // dashboard sessions (docs/webapp.md): no credential needed to call, so outside the auth hook
  await app.register(async (pub) => authRoutes(pub, ctx));

  await app.register(async (api) => {
    registerAuth(api, ctx.projects, sessionRules(ctx.accounts, config.publicUrl));
    registerRateLimit(api, ctx.rateLimiter);
    registerIdempotency(api, ctx.idempotency);
    filesRoutes(api, ctx);
    mediaRoutes(api, ctx);
    signaturesRoutes(api, ctx);
    projectRoutes(api, ctx);
    orgRoutes(api, ctx);
    tasksRoutes(api, ctx);
    webhooksRoutes(api, ctx);
    automationsRoutes(api, ctx);
    eventsRoutes(api, ctx);
  });

  // Known paths with an unsupported method answer 405 with Allow, not 404.
  for (const [url, methods] of [...routes]) {
    if (url.startsWith('/docs')) continue;
    const missing = ALL_METHODS.filter((m) => !methods.has(m));
    if (missing.length === 0) continue;
    const allow = ALL_METHODS.filter((m) => methods.has(m)).join(', ');
    app.route({
      method: missing,
      url,
      schema: { hide: true },
      handler: async (req, reply) => {
        reply.header('allow', allow);
        return sendError(
          req,
          reply,
          new AppError('method_not_allowed', `${req.method} is not allowed on ${url}; use ${allow}.`),
        );
      },
    });
  }
  return app;
}
