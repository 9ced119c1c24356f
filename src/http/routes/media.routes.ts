import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { MediaService } from '../../services/media.service.js';
import type { Serializer } from '../../services/serializers.js';
import { authOf } from '../context.js';
import { sendList, sendMessage, sendObject } from '../respond.js';
import { IdParams, Metadata, Nullable, PageQuery } from '../schemas.js';
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
        summary: 'List media, newest first',
        querystring: PageQuery,
        response: { 200: ListResponse(MediaWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20 } = req.query;
      const { items, total } = await media.list(authOf(req), { page, limit });
      return sendList(
        req,
        reply,
        items.map((m) => serializer.media(m.media, m.files)),
        { page, limit, total },
      );
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
