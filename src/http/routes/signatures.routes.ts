import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SignaturesService } from '../../services/signatures.service.js';
import { authOf } from '../context.js';
import { sendObject } from '../respond.js';
import { Folder } from '../schemas.js';
import { errorResponses, ObjectResponse, SignatureWire } from '../wire-schemas.js';

const CreateSignatureBody = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 1000, description: 'last path segment; sanitised' }),
    folder: Type.Optional(Folder),
    expiry: Type.Optional(
      Type.Integer({ description: 'unix timestamp in seconds; default now + 1 hour; must be in the future' }),
    ),
    method: Type.Optional(Type.String({ description: '"get" (download, default) or "put" (upload)' })),
    // sent by some third-party clients (spec §5.5); accepted and ignored
    resumable: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export function signaturesRoutes(api: FastifyInstance, deps: { signatures: SignaturesService }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { signatures } = deps;
  app.post(
    '/signatures',
    {
      schema: {
        tags: ['signatures'],
        summary: 'Sign a delivery URL for download (get) or upload (put)',
        body: CreateSignatureBody,
        response: { 200: ObjectResponse(SignatureWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { filename, folder, expiry, method } = req.body;
      const signature = await signatures.create(authOf(req), { filename, folder, expiry, method });
      return sendObject(
        req,
        reply,
        { ...signature },
        { status: 200, self: '/signatures', parent: '/signatures' },
      );
    },
  );
}
