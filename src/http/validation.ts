// Bodies are validated strictly (wrong types and unknown fields are errors, never coerced or dropped);
// query strings and path params are coerced from text, since that is all a URL carries.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

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
