// Shapes a response for the request's API version: G2 envelope {meta, data, error, links} or G3 bare.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Json, WireObject } from '../services/serializers.js';
import { usesEnvelope } from './versioning.js';

export interface RespondOptions {
  status?: number;
  /** path of the resource when it differs from the request URL (e.g. after a create) */
  self?: string;
  /** collection path for links.parent (default: the self path minus its last segment) */
  parent?: string;
}

function origin(req: FastifyRequest): string {
  return req.server.publicUrl;
}

function meta(req: FastifyRequest, type: 'object' | 'list' | 'error', extra: Record<string, number> = {}) {
  return {
    request_id: req.id,
    org_id: req.auth?.orgId ?? null,
    project_id: req.auth?.projectId ?? null,
    version: req.apiVersion,
    type,
    ...extra,
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Serializes with the route's response schema for this status, narrowed to the request's shape. A route's
 * schema lists both shapes (anyOf: envelope, bare — wire-schemas.ts) for the OpenAPI document; picking the
 * branch here spares fast-json-stringify from trying each one per response. Without a schema: JSON.stringify.
 */
export function serializeAs(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  envelope = usesEnvelope(req.apiVersion),
) {
  const byStatus = req.routeOptions.schema?.response as
    | Record<string, { anyOf?: Record<string, unknown>[] }>
    | undefined;
  const shapes = byStatus?.[status] ?? byStatus?.[`${String(status)[0]}xx`];
  const shape = shapes?.anyOf?.[envelope ? 0 : 1];
  reply
    .type(JSON_TYPE)
    .serializer(shape ? reply.compileSerializationSchema(shape, String(status)) : JSON.stringify);
  return reply;
}

export function selfUrl(req: FastifyRequest): string {
  return origin(req) + req.url;
}

export function sendObject(
  req: FastifyRequest,
  reply: FastifyReply,
  data: WireObject | Json,
  opts: RespondOptions = {},
) {
  const status = opts.status ?? 200;
  const envelope = usesEnvelope(req.apiVersion);
  serializeAs(req, reply.code(status), status, envelope);
  if (!envelope) return reply.send(data);
  const path = opts.self ?? req.url.split('?')[0];
  const parent = opts.parent ?? path.replace(/\/[^/]+$/, '');
  return reply.send({
    meta: meta(req, 'object'),
    data,
    error: null,
    links: { self: opts.self ? origin(req) + opts.self : selfUrl(req), parent: origin(req) + parent },
  });
}

export function sendMessage(
  req: FastifyRequest,
  reply: FastifyReply,
  message: string,
  opts: RespondOptions = {},
) {
  return sendObject(req, reply, { message }, opts);
}

export interface ListPage {
  page: number;
  limit: number;
  total: number;
  /**
   * Keyset pagination: the id the next page starts after (null: this is the last page). `links.next`
   * then carries `after=<id>` instead of a page number; with `keyset`, the page was itself asked for by
   * `after`, so there is no previous page number and `last` is unknown (it links to this page).
   */
  nextAfter?: string | null;
  keyset?: boolean;
  /** whether a page follows, when the total alone cannot tell (a capped count) */
  hasNext?: boolean;
}

function pageUrl(req: FastifyRequest, page: number, limit: number): string {
  const u = new URL(origin(req) + req.url);
  u.searchParams.set('page', String(page));
  u.searchParams.set('limit', String(limit));
  return u.toString();
}

/** This list's URL with `after=<id>` in place of any page number. */
function afterUrl(req: FastifyRequest, after: string | null, limit: number): string {
  const u = new URL(origin(req) + req.url);
  u.searchParams.delete('page');
  if (after === null) u.searchParams.delete('after');
  else u.searchParams.set('after', after);
  u.searchParams.set('limit', String(limit));
  return u.toString();
}

export function sendList(req: FastifyRequest, reply: FastifyReply, items: WireObject[], p: ListPage) {
  const pages = Math.ceil(p.total / p.limit);
  const next =
    p.nextAfter !== undefined
      ? p.nextAfter === null
        ? null
        : afterUrl(req, p.nextAfter, p.limit)
      : (p.hasNext ?? p.page < pages)
        ? pageUrl(req, p.page + 1, p.limit)
        : null;
  const links = p.keyset
    ? {
        self: selfUrl(req),
        first: afterUrl(req, null, p.limit),
        prev: null,
        next,
        last: selfUrl(req),
      }
    : {
        self: pageUrl(req, p.page, p.limit),
        first: pageUrl(req, 1, p.limit),
        prev: p.page > 1 ? pageUrl(req, Math.min(p.page - 1, Math.max(pages, 1)), p.limit) : null,
        next,
        last: pageUrl(req, Math.max(pages, 1), p.limit),
      };
  const envelope = usesEnvelope(req.apiVersion);
  serializeAs(req, reply.code(200), 200, envelope);
  if (!envelope) {
    const rels = Object.entries(links)
      .filter(([, v]) => v)
      .map(([rel, url]) => `<${url}>; rel="${rel}"`)
      .join(', ');
    reply.header('link', rels).header('links', rels).header('x-total-count', String(p.total));
    return reply.send(items);
  }
  return reply.send({
    meta: meta(req, 'list', { limit: p.limit, total: p.total, page: p.page, pages }),
    data: items,
    error: null,
    links,
  });
}

export function errorBody(req: FastifyRequest, code: string, message: string) {
  if (!usesEnvelope(req.apiVersion)) return { kind: code, message };
  return {
    meta: meta(req, 'error'),
    data: null,
    error: { code, message },
    // an error is about the URL that was asked for: on the delivery host, that is a delivery URL
    links: { self: (req.server.deliveryOrigin ?? origin(req)) + req.url },
  };
}
