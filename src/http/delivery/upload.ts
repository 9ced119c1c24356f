// PUT to a delivery URL (spec §9): the whole file, or one chunk of it with Content-Range. Authorised by the
// project's API key or a signed PUT URL; the body streams to the data dir and never into memory.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { AppError } from '../../lib/errors.js';
import type { DeliveryService } from '../../services/delivery.service.js';
import { type UploadsService, uploadTarget } from '../../services/uploads.service.js';
import { sendObject } from '../respond.js';
import { keyAuth } from './key-auth.js';
import { parseDeliveryPath } from './paths.js';
import { ClientGoneError, parseContentRange, requestBody } from './upload-body.js';

export function uploadRoute(ctx: AppContext, delivery: DeliveryService, uploads: UploadsService) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const target = parseDeliveryPath(req.url);
    const auth = await keyAuth(ctx.projects, req.headers.authorization);
    const grant = await delivery.authorizeWrite({
      projectId: target.projectId,
      path: target.path,
      signed: target.signed,
      auth,
    });
    req.auth = { keyId: grant.keyId, projectId: grant.projectId, orgId: grant.orgId };
    const dest = uploadTarget(target.segments);
    const body = requestBody(req);
    const contentRange = req.headers['content-range'];
    try {
      if (contentRange) {
        const range = parseContentRange(contentRange);
        const result = await uploads.receiveChunk(req.auth, dest, range, body);
        if (result.status === 202) {
          const { upload } = result;
          return sendObject(
            req,
            reply,
            {
              id: upload.id,
              object: 'upload',
              status: upload.status,
              received: upload.received_bytes,
              total: upload.total,
            },
            // the upload URL without its signature query
            { status: 202, self: req.url.split('?')[0] },
          );
        }
        reply.header('location', ctx.serializer.fileUrl(result.file));
        return sendObject(req, reply, ctx.serializer.file(result.file), {
          status: result.status,
          self: `/files/${result.file.id}`,
          parent: '/files',
        });
      }
      const file = await uploads.receiveWhole(req.auth, dest, body);
      reply.header('location', ctx.serializer.fileUrl(file));
      return sendObject(req, reply, ctx.serializer.file(file), {
        status: 201,
        self: `/files/${file.id}`,
        parent: '/files',
      });
    } catch (err) {
      if (err instanceof ClientGoneError) {
        req.log.info({ reqId: req.id }, 'upload abandoned by the client');
        throw new AppError('request_invalid', err.message, { cause: err });
      }
      throw err;
    }
  };
}
