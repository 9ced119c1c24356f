// Beyond ittybit: the delivery access settings of the key's project (docs/delivery.md).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { DeliveryService } from '../../services/delivery.service.js';
import { deliveryDomainFor, deliveryUrlFor } from '../../services/delivery-url.js';
import type { ProjectSettings } from '../../services/projects.service.js';
import { SignaturesService } from '../../services/signatures.service.js';
import { authOf } from '../context.js';
import { sendObject } from '../respond.js';

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

export function projectRoutes(app: FastifyInstance, ctx: AppContext) {
  const delivery = new DeliveryService(
    ctx.repos.projects,
    ctx.projects,
    ctx.repos.media,
    new SignaturesService(ctx.projects, ctx.config.deliveryUrl),
  );
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
    { schema: { tags, summary: "The key's project: delivery access (public/private) and private folders" } },
    async (req, reply) => sendObject(req, reply, wire(req, await delivery.settings(authOf(req).projectId))),
  );

  app.patch(
    '/project/settings',
    { schema: { tags, summary: 'Change delivery access or private folders', body: PatchSettingsBody } },
    async (req, reply) => {
      const settings = await delivery.updateSettings(
        authOf(req).projectId,
        req.body as Partial<ProjectSettings>,
      );
      return sendObject(req, reply, wire(req, settings));
    },
  );
}
