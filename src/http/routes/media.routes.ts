import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MediaListQuery, MediaService, MediaWithFiles } from '../../services/media.service.js';
import type { Serializer } from '../../services/serializers.js';
import { authOf } from '../context.js';
import { sendList, sendMessage, sendObject } from '../respond.js';
import { IdParams, Metadata, Nullable, PageFields } from '../schemas.js';
import { absentBodyIsEmpty } from '../validation.js';
import { errorResponses, ListResponse, MediaWire, MessageWire, ObjectResponse } from '../wire-schemas.js';
import { requireId } from './ids.js';

const MediaBody = Type.Object(
  {
    title: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
    alt: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    metadata: Type.Optional(Nullable(Metadata)),
  },
  { additionalProperties: false },
);

/** page/limit, the library filters, and the keyset cursor `after` (docs/webapp.md, Media list filters). */
const MediaListQuerySchema = Type.Object({
  ...PageFields,
  q: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'contained (case-insensitive) in the filename, title, alt or metadata',
    }),
  ),
  kind: Type.Optional(Type.Union([Type.Literal('video'), Type.Literal('image'), Type.Literal('audio')])),
  folder: Type.Optional(
    Type.String({
      maxLength: 1000,
      description: "the original file's folder exactly, or that folder and all under it with a trailing /",
    }),
  ),
  created_after: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date or date-time' })),
  created_before: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date or date-time' })),
  after: Type.Optional(
    Type.String({
      maxLength: 100,
      description: 'keyset cursor: the page after this media id, newest first; no total is counted',
    }),
  ),
});

const One = { 200: ObjectResponse(MediaWire), ...errorResponses };

export function mediaRoutes(api: FastifyInstance, deps: { media: MediaService; serializer: Serializer }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { media, serializer } = deps;
  const tags = ['media'];

  app.get(
    '/media',
    {
      schema: {
        tags,
        summary:
          'List media, newest first; filter by q, kind, folder, dates; page by page or after a media id',
        querystring: MediaListQuerySchema,
        response: { 200: ListResponse(MediaWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20, after, ...rest } = req.query;
      const filters: MediaListQuery = rest;
      const auth = authOf(req);
      const wire = (items: MediaWithFiles[]) => items.map((m) => serializer.media(m.media, m.files));
      if (after !== undefined) {
        // keyset: no count over the whole (filtered) library; `total` is this page's size
        const { items, hasMore } = await media.listAfter(auth, requireId('med', after), limit, filters);
        reply.header('Has-More', String(hasMore));
        return sendList(req, reply, wire(items), {
          page: 1,
          limit,
          total: items.length,
          nextAfter: hasMore ? items[items.length - 1].media.id : null,
          keyset: true,
        });
      }
      // with q/kind/folder, `total` stops at a cap (then more may follow than it says)
      const { items, total, capped } = await media.list(auth, { page, limit }, filters);
      // a first page asked for without `page` links on by keyset (fast at any depth); page=N keeps page links
      const byPage = /[?&]page=/.test(req.url);
      const more = items.length > 0 && (page * limit < total || (capped && items.length === limit));
      return sendList(req, reply, wire(items), {
        page,
        limit,
        total,
        nextAfter: byPage ? undefined : more ? items[items.length - 1].media.id : null,
        hasNext: more,
      });
    },
  );

  app.post(
    '/media',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Create an empty media',
        body: Type.Optional(MediaBody),
        response: { 201: ObjectResponse(MediaWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const m = await media.create(authOf(req), req.body ?? {});
      return sendObject(req, reply, serializer.media(m.media, m.files), {
        status: 201,
        self: `/media/${m.media.id}`,
      });
    },
  );

  app.get(
    '/media/:id',
    { schema: { tags, summary: 'Get a media with its files and urls', params: IdParams, response: One } },
    async (req, reply) => {
      const { id } = req.params;
      const m = await media.get(authOf(req), requireId('med', id));
      return sendObject(req, reply, serializer.media(m.media, m.files));
    },
  );

  app.patch(
    '/media/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Update title, alt or metadata',
        params: IdParams,
        body: MediaBody,
        response: One,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const m = await media.update(authOf(req), requireId('med', id), req.body);
      return sendObject(req, reply, serializer.media(m.media, m.files));
    },
  );

  app.put(
    '/media/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Replace title, alt and metadata (what is not given becomes empty)',
        params: IdParams,
        body: MediaBody,
        response: One,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const m = await media.replace(authOf(req), requireId('med', id), req.body);
      return sendObject(req, reply, serializer.media(m.media, m.files));
    },
  );

  app.delete(
    '/media/:id',
    {
      schema: {
        tags,
        summary: 'Delete a media, its files and their bytes',
        params: IdParams,
        response: { 200: ObjectResponse(MessageWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      await media.delete(authOf(req), requireId('med', id));
      return sendMessage(req, reply, `${id} deleted`);
    },
  );
}
