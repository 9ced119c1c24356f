// Beyond ittybit: the delivery access settings of the key's project (docs/delivery.md).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { DeliveryService } from '../../services/delivery.service.js';
import { deliveryDomainFor, deliveryUrlFor } from '../../services/delivery-url.js';
import type { ProjectSettings } from '../../services/projects.service.js';
import { authOf } from '../context.js';
import { sendObject } from '../respond.js';
import { errorResponses, ObjectResponse, ProjectSettingsWire } from '../wire-schemas.js';

const PatchSettingsBody = Type.Object(
  {
    access: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')])),
    private_prefixes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), {
        maxItems: 100,
        description: 'folders whose files need a signed GET even in a public project',
      }),
    ),
  },
  { additionalProperties: false },
);

const response = { 200: ObjectResponse(ProjectSettingsWire), ...errorResponses };

export function projectRoutes(
  api: FastifyInstance,
  ctx: { config: Pick<Config, 'deliveryUrl'>; delivery: DeliveryService },
) {
  const app = api.withTypeProvider<TypeBoxTypeProvider>();
  const { delivery } = ctx;
  const tags = ['project'];
  const wire = (req: FastifyRequest, settings: ProjectSettings) => {
    const { projectId } = authOf(req);
    return {
      object: 'project_settings',
      project_id: projectId,
      access: settings.access,
      private_prefixes: settings.private_prefixes,
      delivery_domain: deliveryDomainFor(ctx.config.deliveryUrl, projectId),
      delivery_url: deliveryUrlFor(ctx.config.deliveryUrl, projectId, ''),
    };
  };

  app.get(
    '/project/settings',
    {
      schema: {
        tags,
        summary: "The key's project: delivery access (public/private) and private folders",
        response,
      },
    },
    async (req, reply) => sendObject(req, reply, wire(req, await delivery.settings(authOf(req).projectId))),
  );

  app.patch(
    '/project/settings',
    {
      schema: {
        tags,
        summary: 'Change delivery access or private folders',
        body: PatchSettingsBody,
        response,
      },
    },
    async (req, reply) => {
      const settings = await delivery.updateSettings(authOf(req).projectId, req.body);
      return sendObject(req, reply, wire(req, settings));
    },
  );
}
