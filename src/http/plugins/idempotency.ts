// Idempotency-Key on every POST of the API (services/idempotency.service.ts has the rules). It runs after auth
// and validation: a request that fails either is not kept (Stripe's semantics), so a fixed retry can reuse
// its key. The response is kept as sent (status, content type, body) and replayed byte for byte.
// The hooks are the POST routes' own (added as each route is declared): a GET pays nothing for them.
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onResponseHookHandler,
  onSendHookHandler,
  preHandlerHookHandler,
} from 'fastify';
import type { HeldKey, IdempotencyService } from '../../services/idempotency.service.js';
import { hooksBefore } from '../route-hooks.js';

const held = new WeakMap<FastifyRequest, { key: HeldKey; done: boolean }>();

export function registerIdempotency(app: FastifyInstance, idempotency: IdempotencyService): void {
  const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST' || !req.auth) return;
    const header = req.headers['idempotency-key'];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header[0] : header;
    const begun = await idempotency.begin(req.auth.projectId, key, req.method, req.url, req.body);
    if (begun.kind === 'replay') {
      const { status, type, body } = begun.response;
      reply.code(status).header('idempotent-replayed', 'true');
      if (type) reply.header('content-type', type);
      return reply.send(body);
    }
    held.set(req, { key: begun.held, done: false });
  };

  const onSend = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const h = held.get(req);
    if (!h || h.done) return payload;
    h.done = true;
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : null;
    try {
      if (reply.statusCode >= 500 || text === null) await h.key.release();
      else {
        const type = reply.getHeader('content-type');
        await h.key.finish({ status: reply.statusCode, type: type ? String(type) : null, body: text });
      }
    } catch (err) {
      // the response itself stands; the key stays locked until its lock passes, then a retry runs again
      req.log.error({ err, reqId: req.id }, 'could not record the Idempotency-Key response');
    }
    return payload;
  };

  // a request that ended without a response (connection dropped) gives its key back
  const onResponse = async (req: FastifyRequest) => {
    const h = held.get(req);
    if (h && !h.done) {
      h.done = true;
      await h.key.release().catch(() => {});
    }
  };

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST')) return;
    route.preHandler = hooksBefore(preHandler as preHandlerHookHandler, route.preHandler);
    route.onSend = hooksBefore(onSend as onSendHookHandler, route.onSend);
    route.onResponse = hooksBefore(onResponse as onResponseHookHandler, route.onResponse);
  });
}
