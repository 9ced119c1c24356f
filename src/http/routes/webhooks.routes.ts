// Beyond ittybit: the project's webhook signing secret and the log of task webhook deliveries.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { WebhooksService } from '../../services/webhooks.service.js';
import { deliveryToWire } from '../../services/webhooks.service.js';
import { authOf } from '../context.js';
import { sendList, sendMessage, sendObject } from '../respond.js';
import { IdParams, Nullable, PageFields, PageQuery } from '../schemas.js';
import { absentBodyIsEmpty } from '../validation.js';
import {
  errorResponses,
  ListResponse,
  MessageWire,
  ObjectResponse,
  WebhookDeliveryWire,
  WebhookEndpointWire,
  WebhookSecretWire,
} from '../wire-schemas.js';
import { requireId } from './ids.js';

const DeliveriesQuery = Type.Object({
  ...PageFields,
  status: Type.Optional(
    Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  ),
  task_id: Type.Optional(Type.String({ maxLength: 100 })),
  endpoint_id: Type.Optional(Type.String({ maxLength: 100 })),
});

const EndpointBody = Type.Object(
  {
    url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 8000, description: 'https URL that receives events' }),
    ),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    topics: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50, description: 'event kinds; empty = all' }),
    ),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('paused')])),
  },
  { additionalProperties: false },
);

const Endpoint = { 200: ObjectResponse(WebhookEndpointWire), ...errorResponses };

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
      const { page = 1, limit = 20, status, task_id, endpoint_id } = req.query;
      const filter = { page, limit, status, taskId: task_id, endpointId: endpoint_id };
      const { items, total } = await webhooks.list(authOf(req), filter);
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

  // --- endpoints: every event of the chosen kinds, signed with the endpoint's own secret ---

  app.post(
    '/webhooks/endpoints',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Create a webhook endpoint (its secret is in the answer)',
        body: EndpointBody,
        response: { 201: ObjectResponse(WebhookEndpointWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const row = await webhooks.createEndpoint(authOf(req), req.body);
      return sendObject(req, reply, webhooks.endpointToWire(row, true), {
        status: 201,
        self: `/webhooks/endpoints/${row.id}`,
      });
    },
  );

  app.get(
    '/webhooks/endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints, newest first',
        querystring: PageQuery,
        response: { 200: ListResponse(WebhookEndpointWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20 } = req.query;
      const { rows, total } = await webhooks.listEndpoints(authOf(req), { page, limit });
      return sendList(
        req,
        reply,
        rows.map((r) => webhooks.endpointToWire(r, false)),
        { page, limit, total },
      );
    },
  );

  app.get(
    '/webhooks/endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint with its secret',
        params: IdParams,
        response: Endpoint,
      },
    },
    async (req, reply) => {
      const row = await webhooks.endpoint(authOf(req), requireId('we', req.params.id));
      return sendObject(req, reply, webhooks.endpointToWire(row, true));
    },
  );

  app.patch(
    '/webhooks/endpoints/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Change url, description, topics or status (paused: nothing more is sent)',
        params: IdParams,
        body: EndpointBody,
        response: Endpoint,
      },
    },
    async (req, reply) => {
      const row = await webhooks.updateEndpoint(authOf(req), requireId('we', req.params.id), req.body);
      return sendObject(req, reply, webhooks.endpointToWire(row, false));
    },
  );

  app.delete(
    '/webhooks/endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook endpoint (its pending deliveries are dropped)',
        params: IdParams,
        response: { 200: ObjectResponse(MessageWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = requireId('we', req.params.id);
      await webhooks.deleteEndpoint(authOf(req), id);
      return sendMessage(req, reply, `Webhook endpoint ${id} deleted`);
    },
  );

  app.post(
    '/webhooks/endpoints/:id/rotate',
    {
      schema: {
        tags,
        summary: 'Replace the endpoint’s signing secret; every later attempt is signed with the new one',
        params: IdParams,
        response: Endpoint,
      },
    },
    async (req, reply) => {
      const row = await webhooks.rotateEndpointSecret(authOf(req), requireId('we', req.params.id));
      return sendObject(req, reply, webhooks.endpointToWire(row, true));
    },
  );
}
