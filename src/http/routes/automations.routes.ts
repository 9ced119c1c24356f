// Automations (spec §5.4): CRUD, with PUT as the whole replacement and PATCH as a merge.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type AutomationsService, automationToWire } from '../../services/automations.service.js';
import { authOf } from '../context.js';
import { sendList, sendMessage, sendObject } from '../respond.js';
import { IdParams, Nullable, PageQuery } from '../schemas.js';
import { absentBodyIsEmpty } from '../validation.js';
import {
  AutomationWire,
  errorResponses,
  ListResponse,
  MessageWire,
  ObjectResponse,
} from '../wire-schemas.js';
import { requireId } from './ids.js';

const AutomationBody = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    trigger: Type.Optional(
      Type.Object(
        { kind: Type.Optional(Type.String()), event: Type.Optional(Type.String()) },
        { additionalProperties: false, description: '{kind: "event", event: "media.created"}' },
      ),
    ),
    workflow: Type.Optional(
      Type.Array(Type.Unknown(), {
        description: 'steps: {kind, ref?, next?, ...options}; checked when written',
      }),
    ),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('paused')])),
  },
  { additionalProperties: false },
);

const One = { 200: ObjectResponse(AutomationWire), ...errorResponses };

export function automationsRoutes(api: FastifyInstance, deps: { automations: AutomationsService }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { automations } = deps;
  const tags = ['automations'];

  app.get(
    '/automations',
    {
      schema: {
        tags,
        summary: 'List automations, newest first',
        querystring: PageQuery,
        response: { 200: ListResponse(AutomationWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20 } = req.query;
      const { rows, total } = await automations.list(authOf(req), { page, limit });
      return sendList(req, reply, rows.map(automationToWire), { page, limit, total });
    },
  );

  app.post(
    '/automations',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Create an automation: a trigger and a workflow of steps',
        body: AutomationBody,
        response: { 201: ObjectResponse(AutomationWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const row = await automations.create(authOf(req), req.body);
      return sendObject(req, reply, automationToWire(row), { status: 201, self: `/automations/${row.id}` });
    },
  );

  app.get(
    '/automations/:id',
    { schema: { tags, summary: 'Get an automation', params: IdParams, response: One } },
    async (req, reply) => {
      const row = await automations.get(authOf(req), requireId('auto', req.params.id));
      return sendObject(req, reply, automationToWire(row));
    },
  );

  app.patch(
    '/automations/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Change the given fields',
        params: IdParams,
        body: AutomationBody,
        response: One,
      },
    },
    async (req, reply) => {
      const row = await automations.update(authOf(req), requireId('auto', req.params.id), req.body);
      return sendObject(req, reply, automationToWire(row));
    },
  );

  app.put(
    '/automations/:id',
    {
      preValidation: absentBodyIsEmpty,
      schema: {
        tags,
        summary: 'Replace the automation (what is not given becomes empty or default)',
        params: IdParams,
        body: AutomationBody,
        response: One,
      },
    },
    async (req, reply) => {
      const row = await automations.replace(authOf(req), requireId('auto', req.params.id), req.body);
      return sendObject(req, reply, automationToWire(row));
    },
  );

  app.delete(
    '/automations/:id',
    {
      schema: {
        tags,
        summary: 'Delete an automation (runs already started go on)',
        params: IdParams,
        response: { 200: ObjectResponse(MessageWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const id = requireId('auto', req.params.id);
      await automations.delete(authOf(req), id);
      return sendMessage(req, reply, `Automation ${id} deleted`);
    },
  );
}
