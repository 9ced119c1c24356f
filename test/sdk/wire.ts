// Shared plumbing for the SDK wire-conformance suites: a raw HTTPS client that sends a request byte-for-byte
// as an SDK would (our headers only, plus the ones its HTTP stack adds), and schema checks that name the
// first field an SDK type would disagree with.
import https from 'node:https';
import zlib from 'node:zlib';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type TestApp, type TestResponse, testResponse } from '../helpers/app.js';

export interface WireRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** path without query, already URL-encoded the way the SDK encodes it */
  path: string;
  /** query parameters in the order the SDK adds them; undefined values are left out */
  query?: Record<string, string | undefined>;
  /** exact request headers (Host and Content-Length are added here, as every HTTP stack does) */
  headers: Record<string, string>;
  /** exact body bytes; `''` sends an empty body with Content-Length: 0 */
  body?: string;
}

function decode(buf: Buffer, encoding: string | undefined): Buffer {
  switch (encoding) {
    case 'gzip':
      return zlib.gunzipSync(buf);
    case 'deflate':
      return zlib.inflateSync(buf);
    case 'br':
      return zlib.brotliDecompressSync(buf);
    default:
      return buf;
  }
}

export function send(t: TestApp, r: WireRequest): Promise<TestResponse> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(r.query ?? {})) if (v !== undefined) qs.append(k, v);
  const search = qs.toString();
  const url = `${t.origin}${r.path}${search ? `?${search}` : ''}`;
  const headers = { ...r.headers };
  if (r.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(r.body));
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: r.method, headers, ca: t.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve(testResponse(res, decode(Buffer.concat(chunks), res.headers['content-encoding']))),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/**
 * What both SDKs do with a response before handing it to the caller: any 2xx is success, and the body
 * must be JSON (Node: `_response.ok`, else IttybitError; Python: `200 <= status < 300`, then
 * `_response.json()`). Returns the parsed body.
 */
export function sdkSuccess(label: string, res: TestResponse): unknown {
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${label}: HTTP ${res.status} — the SDK raises instead of returning. Body: ${res.text}`);
  }
  if (res.json === undefined) {
    throw new Error(`${label}: HTTP ${res.status} with a non-JSON body — the SDK cannot parse: ${res.text}`);
  }
  return res.json;
}

/** Asserts `value` matches `schema`, failing with the first mismatch (JSON pointer, expectation, actual). */
export function expectShape(label: string, schema: TSchema, value: unknown): void {
  const first = Value.Errors(schema, value).First();
  if (!first) return;
  const actual = first.value === undefined ? 'undefined (missing)' : JSON.stringify(first.value);
  throw new Error(
    `${label}: SDK type mismatch at ${first.path || '/'}: ${first.message}; got ${actual}\n` +
      `full body: ${JSON.stringify(value).slice(0, 2000)}`,
  );
}

// ---- schema building blocks -------------------------------------------------------------------------

/**
 * An optional field. Neither SDK validates at runtime (Node casts `_response.body as T`; Python's
 * UncheckedBaseModel + Optional[...] = None admits None), and the docs show `null` for absent optional
 * facts (task.output/error, media.kind/background, links.prev/next), so null is accepted too.
 */
export function Opt<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()]));
}

/** ISO-8601 timestamp as Python's `dt.datetime` parses it and the docs show it (`2025-01-01T01:23:45Z`). */
export const IsoDateTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
});

export function Enum<const T extends readonly string[]>(values: T) {
  return Type.Union(values.map((v) => Type.Literal(v)));
}

export const JsonObject = Type.Record(Type.String(), Type.Unknown());

/** An automation method's answer: a 2xx the SDK can parse, checked against the SDK's response model. */
export async function automationCall(
  label: string,
  _sent: WireRequest,
  res: TestResponse,
  schema: TSchema,
  _shape: 'bare' | 'envelope',
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON, checked against `schema`
): Promise<any> {
  const body = sdkSuccess(label, res);
  expectShape(label, schema, body);
  return body;
}
