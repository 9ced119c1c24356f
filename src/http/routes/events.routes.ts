// Beyond ittybit's G2/G3: the event log (spec §10.2), newest first, by page/limit or the G4 cursor; and the
// same events live, as Server-Sent Events (GET /events/stream, docs/compatibility.md).
import { PassThrough } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isId } from '../../lib/ids.js';
import { EVENT_KINDS } from '../../services/event-kinds.js';
import {
  type EventStreamService,
  parseTypes,
  type StreamMessage,
} from '../../services/event-stream.service.js';
import type { EventsService } from '../../services/events.service.js';
import type { MetricsService } from '../../services/metrics.service.js';
import { authOf } from '../context.js';
import { sendList, sendObject } from '../respond.js';
import { IdParams, PageFields } from '../schemas.js';
import { EventWire, errorResponses, ListResponse, ObjectResponse } from '../wire-schemas.js';
import { requireId } from './ids.js';

const EventsQuery = Type.Object({
  ...PageFields,
  kind: Type.Optional(Type.Union(EVENT_KINDS.map((k) => Type.Literal(k)))),
  after: Type.Optional(Type.String({ maxLength: 100, description: 'cursor: events older than this id' })),
  before: Type.Optional(Type.String({ maxLength: 100, description: 'cursor: events newer than this id' })),
});

const StreamQuery = Type.Object({
  after: Type.Optional(
    Type.String({ maxLength: 100, description: 'resume after this event id (Last-Event-ID wins)' }),
  ),
  types: Type.Optional(
    Type.String({ maxLength: 1000, description: 'comma-separated kind prefixes, e.g. task.,media.' }),
  ),
});

/** A client that reads slower than this much unsent text is cut off; it resumes with Last-Event-ID. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

function sseText(m: StreamMessage): string {
  return `${m.id ? `id: ${m.id}\n` : ''}event: ${m.event}\ndata: ${m.data}\n\n`;
}

export function eventsRoutes(
  api: FastifyInstance,
  deps: {
    events: EventsService;
    eventStream: EventStreamService;
    metrics: MetricsService;
    config: { events: { streamKeepAliveMs: number } };
  },
) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { events, eventStream } = deps;
  const tags = ['events'];
  /** this app's open streams: ended when it closes, so app.close() never waits on them */
  const open = new Set<PassThrough>();
  api.addHook('preClose', (done) => {
    for (const body of open) body.end();
    done();
  });

  app.get(
    '/events/stream',
    {
      schema: {
        tags,
        summary: 'Live events (Server-Sent Events): the event log and task progress of the project',
        description:
          'text/event-stream. Each event: `id: <event id>`, `event: <kind>`, `data: <the event as GET /events/{id}>`; ' +
          'task progress as `event: task.progress`, `data: {id, status, progress, eta}`. Last-Event-ID or `after` ' +
          'resumes; `types` filters by kind prefix; a `: keep-alive` comment every 15 s.',
        querystring: StreamQuery,
        response: { ...errorResponses },
      },
    },
    async (req, reply) => {
      const auth = authOf(req);
      const types = parseTypes(req.query.types);
      const after = req.query.after ? requireId('evt', req.query.after.trim()) : undefined;
      // a reconnecting EventSource sends the last id it saw; an id that is not an event id is ignored
      const header = req.headers['last-event-id'];
      const last = typeof header === 'string' ? header.trim() : undefined;
      const lastEventId = last && isId('evt', last) ? last : undefined;

      const body = new PassThrough();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        if (!body.destroyed) body.end();
      };
      body.write('retry: 3000\n\n');
      const subscription = await eventStream
        .subscribe(auth, { after, lastEventId, types }, (m) => {
          if (ended) return;
          body.write(sseText(m));
          if (body.writableLength > MAX_UNSENT_BYTES) end();
        })
        .catch((err) => {
          body.destroy();
          throw err;
        });
      const keepAlive = setInterval(() => {
        if (!ended) body.write(': keep-alive\n\n');
      }, deps.config.events.streamKeepAliveMs);
      keepAlive.unref();
      open.add(body);
      const cleanup = () => {
        ended = true;
        clearInterval(keepAlive);
        subscription.close();
        open.delete(body);
      };
      body.once('close', cleanup);
      body.once('end', cleanup);
      // the client went away: stop at once (Fastify destroys the body too, but not before its next write)
      reply.raw.once('close', () => {
        cleanup();
        body.destroy();
        // Fastify's onResponse (metrics, the request log line) runs only for a response that finished;
        // a stream the client closed never does, so it is counted here
        if (!reply.raw.writableFinished) {
          deps.metrics.request(req.method, '/events/stream', 200, reply.elapsedTime / 1000);
          req.log.info(
            {
              request_id: req.id,
              project_id: auth.projectId,
              key_id: auth.keyId,
              method: req.method,
              path: '/events/stream',
              route: '/events/stream',
              status: 200,
              ms: Math.round(reply.elapsedTime),
              closed_by: 'client',
            },
            'request',
          );
        }
      });
      // a stream, not a schema'd object: sent as it is written
      return (reply as FastifyReply)
        .code(200)
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .send(body);
    },
  );

  app.get(
    '/events',
    {
      schema: {
        tags,
        summary: 'List events, newest first (page/limit, or the cursor after/before)',
        querystring: EventsQuery,
        response: { 200: ListResponse(EventWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20, kind, after, before } = req.query;
      const auth = authOf(req);
      if (after !== undefined || before !== undefined) {
        const cursor = {
          limit,
          after: after && requireId('evt', after),
          before: before && requireId('evt', before),
        };
        const { items, hasMore } = await events.listByCursor(auth, cursor, { kind });
        reply.header('Has-More', String(hasMore)).header('Limit', String(limit));
        return sendList(req, reply, items, { page: 1, limit, total: items.length });
      }
      const { items, total } = await events.list(auth, { page, limit }, { kind });
      return sendList(req, reply, items, { page, limit, total });
    },
  );

  app.get(
    '/events/:id',
    {
      schema: {
        tags,
        summary: 'Get an event',
        params: IdParams,
        response: { 200: ObjectResponse(EventWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      return sendObject(req, reply, await events.get(authOf(req), requireId('evt', req.params.id)));
    },
  );
}
