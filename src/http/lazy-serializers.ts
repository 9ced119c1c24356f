// Response serializers compiled on first use. Fastify compiles every route's response schemas with
// fast-json-stringify when the app is built (~200 ms of CPU for this API, paid by every process and every
// test that builds an app); most routes of a process never answer, and a route that does pays the compile
// once, on its first response. The serializers themselves are fast-json-stringify's, unchanged.
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Serialize = (data: unknown) => string;

/** Fastify's `schemaController` option: the default serializer compiler, deferred to the first response. */
export function lazySerializers(): NonNullable<FastifyServerOptions['schemaController']> {
  const eager = SerializerSelector();
  return {
    compilersFactory: {
      buildSerializer(externalSchemas, serializerOpts) {
        const compile = eager(externalSchemas as unknown as Parameters<typeof eager>[0], serializerOpts);
        return (routeSchema) => {
          let serialize: Serialize | undefined;
          return (data: unknown) => {
            serialize ??= compile(routeSchema) as Serialize;
            return serialize(data);
          };
        };
      },
    },
  };
}
