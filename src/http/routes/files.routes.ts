import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { FilesService } from '../../services/files.service.js';
import type { Serializer } from '../../services/serializers.js';
import { authOf } from '../context.js';
import { sendList, sendMessage, sendObject } from '../respond.js';
import { Filename, Folder, IdParams, Metadata, Nullable, PageQuery, Ref } from '../schemas.js';
import { absentBodyIsEmpty } from '../validation.js';
import { errorResponses, FileWire, ListResponse, MessageWire, ObjectResponse } from '../wire-schemas.js';
import { requireId } from './ids.js';

const CreateFileBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 8000, description: 'http(s) URL to fetch' }),
    media_id: Type.Optional(
      Type.String({ description: 'attach to this media; a new media is created otherwise' }),
    ),
    folder: Type.Optional(Folder),
    filename: Type.Optional(Filename),
    ref: Type.Optional(Ref),
    metadata: Type.Optional(Metadata),
    label: Type.Optional(Type.String({ maxLength: 200, description: 'legacy (SDK ≤0.7)' })),
    async: Type.Optional(Type.Boolean({ description: 'legacy (SDK ≤0.7); ignored, ingest is synchronous' })),
  },
  { additionalProperties: false },
);

const PatchFileBody = Type.Object(
  {
    folder: Type.Optional(Nullable(Folder)),
    filename: Type.Optional(Filename),
    ref: Type.Optional(Nullable(Ref)),
    metadata: Type.Optional(Nullable(Metadata)),
  },
  { additionalProperties: false },
);

const One = { 200: ObjectResponse(FileWire), ...errorResponses };

export function filesRoutes(api: FastifyInstance, deps: { files: FilesService; serializer: Serializer }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { files, serializer } = deps;
  const tags = ['files'];

  app.get(
    '/files',
    {
      schema: {
        tags,
        summary: 'List files, newest first',
        querystring: PageQuery,
        response: { 200: ListResponse(FileWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20 } = req.query;
      const { rows, total } = await files.list(authOf(req), { page, limit });
      return sendList(
        req,
        reply,
        rows.map((r) => serializer.file(r)),
        { page, limit, total },
      );
    },
  );

  app.post(
    '/files',
    {
      schema: {
        tags,
        summary: 'Create a file by fetching a URL (synchronous ingest)',
        body: CreateFileBody,
        response: { 201: ObjectResponse(FileWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const row = await files.createFromUrl(authOf(req), req.body);
      return sendObject(req, reply, serializer.file(row), { status: 201, self: `/files/${row.id}` });
    },
  );

  app.get(
    '/files/:id',
    { schema: { tags, summary: 'Get a file', params: IdParams, response: One } },
    async (req, reply) => {
      const { id } = req.params;
      const row = await files.get(authOf(req), requireId('file', id));
      return sendObject(req, reply, serializer.file(row));
    },
  );

  app.patch(
    '/files/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Update folder, filename, ref or metadata',
        params: IdParams,
        body: PatchFileBody,
        response: One,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const row = await files.update(authOf(req), requireId('file', id), req.body);
      return sendObject(req, reply, serializer.file(row));
    },
  );

  app.put(
    '/files/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Replace folder, filename, ref and metadata (what is not given becomes empty)',
        params: IdParams,
        body: PatchFileBody,
        response: One,
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const row = await files.replace(authOf(req), requireId('file', id), req.body);
      return sendObject(req, reply, serializer.file(row));
    },
  );

  app.delete(
    '/files/:id',
    {
      schema: {
        tags,
        summary: 'Delete a file and its bytes',
        params: IdParams,
        response: { 200: ObjectResponse(MessageWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      await files.delete(authOf(req), requireId('file', id));
      return sendMessage(req, reply, `${id} deleted`);
    },
  );
}
