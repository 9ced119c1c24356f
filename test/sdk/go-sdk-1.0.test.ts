// Wire conformance with the official Go SDK `github.com/ittybit/sdk-go` v1.0.0 (G3 bare objects), against a
// real mediary over HTTPS with a real worker.
//
// Sources. The search-tool index holds github.com/ittybit/sdk-go only up to v0.9.0 (@2b40827: core/
// request_option.go, signatures/client.go, …), not the v1.0.0 tree; the 1.0 requests below are therefore
// the v0.9.0 generator's request code plus what issue 8 recorded from the v1.0.0 SDK on the wire:
//   core/request_option.go @2b40827 — headers from cloneHeader(): X-Fern-Language Go, X-Fern-SDK-Name
//     github.com/ittybit/sdk-go, X-Fern-SDK-Version v<version> (with a `v`), User-Agent
//     github.com/ittybit/sdk-go/<version>; Authorization Bearer <APIKey> (ITTYBIT_API_KEY by default);
//     ACCEPT_VERSION only with option.WithVersion
//   {files,media,signatures}/client.go @2b40827 — Content-Type: application/json only on bodies; ids through
//     internal.EncodeURL; list query from url.Values.Encode() (sorted: limit before page); a nil request
//     (tasks.create(nil)) sends no body
//   issue 8 (recorded v1.0.0 traffic): `Accept-Version: 2025-08-20` only on list, create and update calls;
//     none on GET/DELETE /files/{id}, GET/DELETE /media/{id}, POST /tasks, GET /tasks/{id}, POST
//     /automations, GET/DELETE /automations/{id} (issue 8 A); and the header parameter also serialised into
//     the JSON body as `"Accept-Version":"2025-08-20"` on POST /files, PATCH /files/{id}, POST /media,
//     PATCH /media/{id}, POST /signatures, PATCH /automations/{id} (issue 8 B — mediary answered 400
//     `Unknown field "Accept-Version"` before, and Go decoded the envelope into empty structs without error).
//   Response structs: encoding/json into the 1.0 models (same definition as PHP/Ruby/Python 1.0); a missing
//   field stays its zero value silently, which is why fern-1.0.ts checks required fields.
// net/http adds Accept-Encoding: gzip and Content-Length.
import { describe, expect, it } from 'vitest';
import { type Encode, fern10Suite } from './fern-1.0.js';
import { send, type WireRequest } from './wire.js';

const VERSION_HEADER = new Set([
  'files.list',
  'media.list',
  'tasks.list',
  'automations.list',
  'files.create',
  'media.create',
  'signatures.create',
  'files.update',
  'media.update',
  'automations.update',
]);
const VERSION_IN_BODY = new Set([
  'files.create',
  'files.update',
  'media.create',
  'media.update',
  'signatures.create',
  'automations.update',
]);

const encodeGo: Encode = (op, key) => {
  const headers: Record<string, string> = {
    'User-Agent': 'github.com/ittybit/sdk-go/1.0.0',
    Authorization: `Bearer ${key}`,
    'X-Fern-Language': 'Go',
    'X-Fern-SDK-Name': 'github.com/ittybit/sdk-go',
    'X-Fern-SDK-Version': 'v1.0.0',
  };
  if (VERSION_HEADER.has(op.name)) headers['Accept-Version'] = '2025-08-20';
  // set on every method with a request parameter, even when the request is nil (tasks.create(nil))
  if (op.json !== undefined) headers['Content-Type'] = 'application/json';
  headers['Accept-Encoding'] = 'gzip';
  // url.Values.Encode() sorts by key
  const query: Record<string, string | undefined> = {};
  if (op.query?.limit != null) query.limit = String(op.query.limit);
  if (op.query?.page != null) query.page = String(op.query.page);
  const r: WireRequest = { method: op.method, path: op.path, query, headers };
  if (op.json !== undefined) {
    if (VERSION_IN_BODY.has(op.name)) {
      // request struct: the literal header field first, then the set (omitempty) fields
      r.body = JSON.stringify({ 'Accept-Version': '2025-08-20', ...(op.json ?? {}) });
    } else if (op.json !== null) {
      r.body = JSON.stringify(op.json);
    }
  }
  return r;
};

fern10Suite({
  title: 'github.com/ittybit/sdk-go v1.0.0',
  encode: encodeGo,
  headerless: [
    'files.get',
    'files.delete',
    'media.get',
    'media.delete',
    'tasks.create',
    'tasks.get',
    'automations.create',
    'automations.get',
    'automations.delete',
  ],
  extra: (ctx) => {
    it('the body key alone (no version header) selects 2025-08-20 and is not stored as a field', async () => {
      const { t, client } = ctx();
      const r = encodeGo(
        { name: 'media.create', method: 'POST', path: '/media', json: { title: 'hint only' } },
        t.key,
      );
      delete r.headers['Accept-Version'];
      expect(r.body).toBe('{"Accept-Version":"2025-08-20","title":"hint only"}');
      const res = await send(t, r);
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ object: 'media', title: 'hint only' });
      expect(res.json).not.toHaveProperty('meta');
      expect(res.json.metadata ?? {}).not.toHaveProperty('Accept-Version');
      expect((await client.media.delete(res.json.id)).status).toBe(200);
    });

    it('a body key naming an older version gets the envelope when no header says otherwise', async () => {
      const { t, client } = ctx();
      const res = await send(t, {
        method: 'POST',
        path: '/media',
        headers: { Authorization: `Bearer ${t.key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ACCEPT_VERSION: '2025-07-01', title: 'old' }),
      });
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ meta: { version: '2025-07-01' }, data: { title: 'old' } });
      await client.media.delete(res.json.data.id);
    });

    it('validation errors on a body with the key still come back bare (the key is not the reported field)', async () => {
      const { client } = ctx();
      const res = await client.signatures.create({ filename: 'a.png', expiry: -1 });
      expect(res.status).toBe(400);
      expect(res.json.message).not.toContain('Accept-Version');
      expect(res.json).not.toHaveProperty('meta');
    });
  },
});

describe('Go SDK 0.x keeps the configured default', () => {
  it('X-Fern-SDK-Version v0.9.0 / github.com/ittybit/sdk-go/0.9.0 → the default', async () => {
    const { resolveVersion } = await import('../../src/http/versioning.js');
    const headers = {
      'x-fern-sdk-name': 'github.com/ittybit/sdk-go',
      'x-fern-sdk-version': 'v0.9.0',
      'user-agent': 'github.com/ittybit/sdk-go/0.9.0',
    };
    expect(resolveVersion(headers, '2025-07-01')).toBe('2025-07-01');
  });
});
