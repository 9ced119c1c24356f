import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Serializer } from '../../services/serializers.js';
import { TASK_STATUSES, type TasksService, type TaskView } from '../../services/tasks.service.js';
import { authOf } from '../context.js';
import { sendList, sendObject } from '../respond.js';
import { IdParams, PageQuery } from '../schemas.js';
import { errorResponses, ListResponse, ObjectResponse, TasksConfigWire, TaskWire } from '../wire-schemas.js';
import { requireId } from './ids.js';

// Free-form (spec §5.3): kind options sit flat beside these, or inside `options`; the kind's own schema
// checks them in the service, where the message can name the kind and the allowed values.
const CreateTaskBody = Type.Object(
  {
    kind: Type.Optional(Type.String({ description: 'task kind; GET /tasks-config lists them' })),
    file_id: Type.Optional(Type.String({ description: 'input: an existing file' })),
    url: Type.Optional(Type.String({ description: 'input: a URL, fetched and stored first' })),
    webhook_url: Type.Optional(
      Type.String({ description: 'receives a POST with the task when it completes or fails' }),
    ),
    options: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'kind options (also accepted flat)' }),
    ),
  },
  { additionalProperties: true },
);

const ListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    status: Type.Optional(Type.Union(TASK_STATUSES.map((s) => Type.Literal(s)))),
    kind: Type.Optional(Type.String({ maxLength: 100 })),
    media_id: Type.Optional(
      Type.String({ maxLength: 100, description: "the media's tasks: on its files or writing to it" }),
    ),
    automation_id: Type.Optional(
      Type.String({ maxLength: 100, description: "the automation's runs and their steps" }),
    ),
  }),
]);

const One = { 200: ObjectResponse(TaskWire), ...errorResponses };

export function tasksRoutes(api: FastifyInstance, deps: { tasks: TasksService; serializer: Serializer }) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { tasks, serializer } = deps;
  const tags = ['tasks'];
  const wire = (v: TaskView) => serializer.task(v.task, v.output, v.children);
  const one = { self: (id: string) => `/tasks/${id}`, parent: '/tasks' };

  app.get(
    '/tasks',
    {
      schema: {
        tags,
        summary: 'List tasks, newest first',
        querystring: ListQuery,
        response: { 200: ListResponse(TaskWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { page = 1, limit = 20, status, kind, media_id, automation_id } = req.query;
      const { items, total } = await tasks.list(
        authOf(req),
        { page, limit },
        {
          status,
          kind,
          mediaId: media_id ? requireId('med', media_id) : undefined,
          automationId: automation_id ? requireId('auto', automation_id) : undefined,
        },
      );
      return sendList(req, reply, items.map(wire), { page, limit, total });
    },
  );

  app.post(
    '/tasks',
    {
      schema: {
        tags,
        summary: 'Create a task on a file or a URL',
        body: CreateTaskBody,
        response: { 201: ObjectResponse(TaskWire), ...errorResponses },
      },
    },
    async (req, reply) => {
      const view = await tasks.create(authOf(req), req.body ?? {});
      return sendObject(req, reply, wire(view), {
        status: 201,
        self: one.self(view.task.id),
        parent: one.parent,
      });
    },
  );

  // Bare in every API version: the SDKs type it as a plain record (spec §2.1).
  app.get(
    '/tasks-config',
    {
      schema: {
        tags,
        summary: 'Task kinds with their formats and options',
        response: { 200: TasksConfigWire, ...errorResponses },
      },
    },
    async (_req, reply) => reply.send(tasks.kindsConfig()),
  );

  app.get(
    '/tasks/:id',
    { schema: { tags, summary: 'Get a task', params: IdParams, response: One } },
    async (req, reply) => {
      const { id } = req.params;
      return sendObject(req, reply, wire(await tasks.get(authOf(req), requireId('task', id))));
    },
  );

  const actions = [
    ['start', 'Queue a pending task now (idempotent)'],
    ['cancel', 'Cancel a pending or processing task'],
    ['retry', 'Run a failed or cancelled task again'],
  ] as const;
  for (const [action, summary] of actions) {
    app.post(
      `/tasks/:id/${action}`,
      { schema: { tags, summary, params: IdParams, response: One } },
      async (req, reply) => {
        const { id } = req.params;
        const view = await tasks[action](authOf(req), requireId('task', id));
        return sendObject(req, reply, wire(view), { self: one.self(id), parent: one.parent });
      },
    );
  }
}
