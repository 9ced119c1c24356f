// Property-based fuzzing of the live HTTPS API from its own OpenAPI document: every operation, with bodies,
// path and query parameters and headers drawn from its schemas (valid) or mutated (wrong types, extra and
// missing fields, odd text, garbage JSON), under every API version and none. The properties: no 5xx, no
// hang, and every 4xx in the error shape of the request's version. FUZZ_RUNS sets the number of requests
// (2,000 here; `npm run fuzz` runs 100,000); FUZZ_SEED replays a run.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, type TestResponse } from '../helpers/app.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const TIMEOUT_MS = 10_000;

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema from the OpenAPI document
type Schema = Record<string, any>;

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query'; schema: Schema }[];
  body?: Schema;
}

/** Text that tends to break things: control characters, NUL, lone surrogates, huge, path tricks. */
const oddText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '../../etc/passwd', '%00', '1e308', '-1', 'null', '{}', '[]'),
  fc.string({ minLength: 2000, maxLength: 5000 }),
);

/** URLs that never leave the machine: refused, invalid, or a closed local port. */
const urls = fc.constantFrom(
  'http://127.0.0.1:9/x.png',
  'https://localhost:1/a.mp4',
  'ftp://example.com/x',
  'not a url',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]:9/',
  'file:///etc/passwd',
  '',
);

const ids = fc.oneof(
  fc
    .constantFrom('file_', 'med_', 'task_', 'auto_', 'evt_', 'we_', 'whd_')
    .map((p) => `${p}AAAAAAAAAAAAAAAA`),
  fc.string({ maxLength: 40 }),
  oddText,
);

function fromSchema(s: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if ('const' in s) return fc.constant(s.const);
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts) && alts.length > 0)
    return fc.oneof(...alts.map((a: Schema) => fromSchema(a, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return /url/i.test(s.description ?? '') ? urls : fc.oneof(fc.string({ maxLength: 30 }), oddText);
    case 'integer':
      return fc.oneof(
        fc.integer({ min: s.minimum ?? -10, max: Math.min(s.maximum ?? 1000, 1e9) }),
        fc.constantFrom(0, -1, 2 ** 53, 1e308),
      );
    case 'number':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -1, 1e308, Number.MIN_VALUE));
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(s.items, depth + 1), { maxLength: 4 });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const keys = Object.keys(props);
      if (keys.length === 0)
        return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const k of keys) record[k] = k === 'url' ? urls : fromSchema(props[k], depth + 1);
      return fc.record(record, { requiredKeys: [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A body: from the schema, the schema's with a wrong type or an extra key, or anything at all. */
function bodyFor(op: Operation): fc.Arbitrary<{ raw?: string; json?: unknown } | undefined> {
  const valid = fromSchema(op.body);
  return fc.oneof(
    { weight: 4, arbitrary: valid.map((json) => ({ json })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([v, k, x]) => ({
          json: v && typeof v === 'object' && !Array.isArray(v) ? { ...v, [k]: x } : x,
        })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"a":', '[1,', '\u0000', 'null'))
        .map((raw) => ({ raw })),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const versions = fc.constantFrom(
  undefined,
  '2025-01-01',
  '2025-07-01',
  '2025-08-20',
  'test',
  '1999-01-01',
  'garbage',
);
const versionHeaders = fc.constantFrom('accept-version', 'ACCEPT_VERSION', 'ittybit-version');

/** A path segment; a lone surrogate (which encodeURIComponent refuses) becomes its raw, invalid UTF-8 bytes. */
function encodeSegment(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return `${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))}%ED%A0%80`;
  }
}

function isErrorShape(json: unknown): boolean {
  const j = json as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object') return false;
  const envelope =
    j.data === null &&
    typeof (j.error as { message?: unknown } | undefined)?.message === 'string' &&
    (j.meta as { type?: unknown } | undefined)?.type === 'error';
  const bare = typeof j.message === 'string' && typeof j.kind === 'string' && !('meta' in j);
  return envelope || bare;
}

describe('API fuzz (from /openapi.json)', () => {
  let t: TestApp;
  let ops: Operation[] = [];
  beforeAll(async () => {
    t = await startTestApp({
      env: { MEDIARY_ALLOW_PRIVATE_URLS: 'false', MEDIARY_INGEST_TIMEOUT_MS: '3000' },
    });
    const doc = (await t.request('/openapi.json')).json as {
      paths: Record<string, Record<string, Schema>>;
    };
    for (const [path, methods] of Object.entries(doc.paths)) {
      // a valid request opens a stream that stays open by design; test/api/events-stream.test.ts has its errors
      if (path === '/events/stream') continue;
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        ops.push({
          method: method.toUpperCase(),
          path,
          params: (op.parameters ?? []).filter((p: Schema) => p.in === 'path' || p.in === 'query'),
          body: op.requestBody?.content?.['application/json']?.schema,
        });
      }
    }
    ops = ops.sort((a, b) => `${a.method} ${a.path}`.localeCompare(`${b.method} ${b.path}`));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads every operation from the OpenAPI document', () => {
    expect(ops.length).toBeGreaterThan(30);
    expect(ops.some((o) => o.method === 'POST' && o.path === '/tasks' && o.body)).toBe(true);
  });

  it(
    `${RUNS} requests: no 5xx, no hang, every 4xx in the version's error shape`,
    async () => {
      const request = fc.integer({ min: 0, max: ops.length - 1 }).chain((i) => {
        const op = ops[i];
        const query = fc.dictionary(
          fc.constantFrom(
            ...op.params.filter((p) => p.in === 'query').map((p) => p.name),
            'page',
            'limit',
            'x',
          ),
          fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('1e308', '-1', '0', '1', '100', '1e20', '')),
          { maxKeys: 3 },
        );
        return fc.record({
          op: fc.constant(op),
          pathId: ids,
          query,
          body: bodyFor(op),
          version: versions,
          versionHeader: versionHeaders,
          auth: fc.constantFrom('key', 'key', 'key', 'none', 'bad'),
          contentType: fc.constantFrom(
            'application/json',
            'text/plain',
            undefined,
            'application/x-www-form-urlencoded',
          ),
        });
      });
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const path = r.op.path.replace(/\{[^}]+\}/g, () => encodeSegment(r.pathId));
          const qs = new URLSearchParams(r.query).toString();
          const headers: Record<string, string> = {};
          if (r.version) headers[r.versionHeader] = r.version;
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.auth === 'bad') headers.authorization = 'Bearer mediary_not_a_real_key';
          const raw = r.body?.raw ?? (r.body && 'json' in r.body ? JSON.stringify(r.body.json) : undefined);
          let timer: NodeJS.Timeout | undefined;
          const res = (await Promise.race([
            t.request(`${path}${qs ? `?${qs}` : ''}`, {
              method: r.op.method,
              headers,
              raw: r.op.method === 'GET' || r.op.method === 'DELETE' ? undefined : raw,
              noAuth: r.auth !== 'key',
            }),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
            }),
          ]).finally(() => clearTimeout(timer))) as TestResponse;
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          if (res.status >= 500) {
            throw new Error(`${r.op.method} ${path} → ${res.status}: ${res.text.slice(0, 300)}`);
          }
          if (res.status >= 400 && !isErrorShape(res.json)) {
            throw new Error(
              `${r.op.method} ${path} → ${res.status} not in an error shape: ${res.text.slice(0, 300)}`,
            );
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // the run reached both sides: accepted requests and refused ones
      expect([...seen.keys()].some((s) => s < 300)).toBe(true);
      expect([...seen.keys()].some((s) => s >= 400)).toBe(true);
    },
    30 * 60_000,
  );
});
