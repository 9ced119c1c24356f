// Beyond ittybit: the project's webhook signing secret and the log of task webhook deliveries.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebhooksService } from '../../services/webhooks.service.js';
import { deliveryToWire } from '../../services/webhooks.service.js';
import { authOf } from '../context.js';
import { sendList, sendObject } from '../respond.js';
import { IdParams } from '../schemas.js';
import {
  errorResponses,
  ListResponse,
  ObjectResponse,
  WebhookDeliveryWire,
  WebhookSecretWire,
} from '../wire-schemas.js';
import { requireId } from './ids.js';

const DeliveriesQuery = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'page number, from 1' })),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'items per page' }),
  ),
  status: Type.Optional(
    Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  ),
  task_id: Type.Optional(Type.String({ maxLength: 100 })),
});

const Secret = { 200: ObjectResponse(WebhookSecretWire), ...errorResponses };

export function webhooksRoutes(api: FastifyInstance, deps: { webhooks: WebhooksService }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { webhooks } = deps;
  const tags = ['webhooks'];

  app.get(
    '/webhooks/secret',
    {
      schema: {
        tags,
        summary: "The project's webhook signing secret (Standard Webhooks, whsec_…)",
        response: Secret,
      },
    },
    async (req, reply) => {
      return sendObject(req, reply, { secret: await webhooks.secret(authOf(req)) });
    },
  );

  app.post(
    '/webhooks/secret/rotate',
    {
      schema: {
        tags,
        summary: 'Replace the webhook signing secret; every later attempt is signed with the new one',
        response: Secret,
      },
    },
    async (req, reply) => {
      const secret = await webhooks.rotateSecret(authOf(req));
      return sendObject(req, reply, { secret }, { self: '/webhooks/secret' });
    },
  );

  app.get(
    '/webhooks/deliveries',
    {
      schema: {
        tags,
        summary: 'List webhook deliveries with their attempts, newest first',
        querystring: DeliveriesQuery,
        response: { 200: ListResponse(WebhookDeliveryWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20, status, task_id } = req.query;
      const { items, total } = await webhooks.list(authOf(req), { page, limit, status, taskId: task_id });
      return sendList(req, reply, items.map(deliveryToWire), { page, limit, total });
    },
  );

  app.get(
    '/webhooks/deliveries/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook delivery with its attempts',
        params: IdParams,
        response: { 200: ObjectResponse(WebhookDeliveryWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const d = await webhooks.get(authOf(req), requireId('whd', id));
      return sendObject(req, reply, deliveryToWire(d));
    },
  );

  app.post(
    '/webhooks/deliveries/:id/retry',
    {
      schema: {
        tags,
        summary: 'Send a webhook delivery again now (same webhook-id)',
        params: IdParams,
        response: { 202: ObjectResponse(WebhookDeliveryWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const d = await webhooks.retry(authOf(req), requireId('whd', id));
      return sendObject(req, reply, deliveryToWire(d), {
        status: 202,
        self: `/webhooks/deliveries/${id}`,
        parent: '/webhooks/deliveries',
      });
    },
  );
}
