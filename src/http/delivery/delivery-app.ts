// The delivery host (its own port): GET/HEAD of files, PUT uploads (whole or chunked) and tus. Built like the
// API app (same versioning, error shapes and TLS) but it never parses a request body: uploads read the raw
// stream. Only cli/ binds the port.

import type { FastifyBaseLogger } from 'fastify';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { AppContext } from '../../app-context.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { httpsFactory } from '../app.js';
import { frameworkErrors, registerErrorHandling, sendError } from '../plugins/errors.js';
import { sendObject } from '../respond.js';
import { resolveVersion } from '../versioning.js';
import { serveRoute } from './serve.js';
import { createTusServer, TUS_PREFIX } from './tus.js';
import { uploadRoute } from './upload.js';
import '../context.js';

export interface DeliveryBuildOptions {
  tls?: { key: string; cert: string };
  logger?: boolean;
}

const EXPOSED = [
  'Content-Length',
  'Content-Range',
  'Accept-Ranges',
  'ETag',
  'Last-Modified',
  'Location',
  'X-Request-Id',
].join(', ');

const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Content-Range',
  'Range',
  'If-None-Match',
  'If-Range',
  'If-Modified-Since',
  'Accept-Version',
  'ACCEPT_VERSION',
  'Ittybit-Version',
].join(', ');

function registerCors(app: FastifyInstance, origins: string[]): void {
  const any = origins.includes('*');
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || (!any && !origins.includes(origin))) return;
    reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', EXPOSED);
  });
  app.options('/*', async (req, reply) => {
    const requested = req.headers['access-control-request-headers'];
    reply.header('access-control-allow-methods', 'GET, HEAD, PUT, OPTIONS');
    reply.header('access-control-allow-headers', requested || ALLOWED_HEADERS);
    reply.header('access-control-max-age', '600');
    return reply.code(204).send();
  });
}

export async function buildDeliveryApp(
  ctx: AppContext,
  opts: DeliveryBuildOptions = {},
): Promise<FastifyInstance> {
  const { config } = ctx;
  const app = Fastify({
    ...(opts.logger === false ? { logger: false } : { loggerInstance: ctx.log as FastifyBaseLogger }),
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => newId('req'),
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: true,
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkErrors(ctx.config.defaultVersion),
    serverFactory: opts.tls ? httpsFactory(opts.tls) : undefined,
  });
  // uploads may take as long as they need; a connection idle for two minutes is dropped
  app.server.requestTimeout = 0;
  app.server.setTimeout(120_000);

  app.decorate('publicUrl', config.publicUrl);
  app.decorate('deliveryOrigin', config.deliveryUrl.replace(/\/+$/, ''));
  app.decorateRequest('apiVersion', config.defaultVersion);
  app.decorateRequest('auth', null);
  // bodies stay unread: uploads and tus stream req.raw themselves
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  registerErrorHandling(app);

  app.addHook('onRequest', async (req, reply) => {
    req.apiVersion = resolveVersion(req.headers, config.defaultVersion);
    reply.header('x-request-id', req.id);
    if (config.trustProxy && req.headers['x-forwarded-proto'] === 'http') {
      return reply.redirect(config.deliveryUrl + req.url, 308);
    }
  });
  // an upload refused before its body was read: close rather than read gigabytes to keep the connection
  app.addHook('onSend', async (req, reply) => {
    if (
      req.method === 'PUT' &&
      !req.raw.complete &&
      Number(req.headers['content-length'] ?? Number.POSITIVE_INFINITY) > 1 << 20
    ) {
      reply.header('connection', 'close');
    }
  });
  registerCors(app, config.corsOrigins);

  app.get('/health', async () => ({ status: 'ok' }));

  const tus = createTusServer(ctx);
  const tusHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await tus.handle(req.raw, reply.raw);
  };
  const tusMethods = ['POST', 'PATCH', 'HEAD', 'DELETE', 'OPTIONS'] as const;
  for (const url of [TUS_PREFIX, `${TUS_PREFIX}/`, `${TUS_PREFIX}/*`]) {
    app.route({ method: [...tusMethods], url, handler: tusHandler });
  }
  // beyond tus: the upload URL answers GET with the File once the upload is finished
  app.get(`${TUS_PREFIX}/:id`, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { upload: row, file } = await ctx.uploads.tusFile(id);
    const project = await ctx.projects.getProject(row.project_id);
    req.auth = { keyId: row.created_by ?? '', projectId: project.id, orgId: project.org_id };
    return sendObject(req, reply, ctx.serializer.file(file), { self: `/files/${file.id}`, parent: '/files' });
  });

  app.route({ method: ['GET', 'HEAD'], url: '/:project/*', handler: serveRoute(ctx, ctx.delivery) });
  app.put('/:project/*', uploadRoute(ctx, ctx.delivery, ctx.uploads));
  app.route({
    method: ['POST', 'PATCH', 'DELETE'],
    url: '/:project/*',
    handler: async (req, reply) => {
      reply.header('allow', 'GET, HEAD, PUT, OPTIONS');
      return sendError(
        req,
        reply,
        new AppError(
          'method_not_allowed',
          `${req.method} is not allowed on a delivery URL; use GET, HEAD or PUT.`,
        ),
      );
    },
  });
  return app;
}
