// Bodies are validated strictly (wrong types and unknown fields are errors, never coerced or dropped);
// query strings and path params are coerced from text, since that is all a URL carries.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function registerValidation(app: FastifyInstance): void {
  const strict = new Ajv.default({
    coerceTypes: false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  const loose = new Ajv.default({
    coerceTypes: true,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(strict);
  addFormats.default(loose);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : loose.compile(schema),
  );
}

/**
 * preValidation for endpoints whose body fields are all optional: no body at all means `{}`. Fern-generated
 * Python SDKs (ittybit 1.0) send POST/PATCH with Content-Length: 0 when every argument is omitted, e.g.
 * `client.media.create()` (fern-api/fern#7178).
 */
export async function absentBodyIsEmpty(req: FastifyRequest): Promise<void> {
  if (req.body === undefined) req.body = {};
}
