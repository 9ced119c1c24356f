// Beyond ittybit's G2/G3: the event log (spec §10.2), newest first, by page/limit or the G4 cursor.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EVENT_KINDS } from '../../services/event-kinds.js';
import type { EventsService } from '../../services/events.service.js';
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

export function eventsRoutes(api: FastifyInstance, deps: { events: EventsService }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { events } = deps;
  const tags = ['events'];

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
