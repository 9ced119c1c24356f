import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { SignaturesService } from '../../services/signatures.service.js';
import { authOf } from '../context.js';
import { sendObject } from '../respond.js';
import { Folder } from '../schemas.js';

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

export function signaturesRoutes(app: FastifyInstance, ctx: AppContext) {
  const signatures = new SignaturesService(ctx.projects, ctx.config.deliveryUrl);
  app.post(
    '/signatures',
    {
      schema: {
        tags: ['signatures'],
        summary: 'Sign a delivery URL for download (get) or upload (put)',
        body: CreateSignatureBody,
      },
    },
    async (req, reply) => {
      const body = req.body as { filename: string; folder?: string; expiry?: number; method?: string };
      const signature = await signatures.create(authOf(req), {
        filename: body.filename,
        folder: body.folder,
        expiry: body.expiry,
        method: body.method,
      });
      return sendObject(
        req,
        reply,
        { ...signature },
        { status: 200, self: '/signatures', parent: '/signatures' },
      );
    },
  );
}
