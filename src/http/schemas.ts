import { type TSchema, Type } from '@sinclair/typebox';

/**
 * The deepest page a list serves: page × limit stays far below what SQLite and PostgreSQL take as an
 * OFFSET (a page of 1e20 used to reach SQL and answer 500). Deeper than this, filter instead.
 */
export const MAX_PAGE = 100_000;
export const MAX_LIMIT = 100;

export const PageFields = {
  page: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 1, description: 'page number, from 1' }),
  ),
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 20, description: 'items per page' }),
  ),
};

export const PageQuery = Type.Object(PageFields);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const Metadata = Type.Record(
  Type.String(),
  Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
  {
    description: 'flat key/value pairs; in a PATCH a key set to null is removed',
  },
);

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const Folder = Type.String({ maxLength: 1000, description: 'delivery path prefix; sanitised' });
export const Filename = Type.String({
  maxLength: 1000,
  description: 'last path segment of the delivery URL; sanitised',
});
export const Ref = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'reference name, a key in media.urls',
});
