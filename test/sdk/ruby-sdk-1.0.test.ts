// Wire conformance with the official Ruby SDK `ittybit` gem 1.0.0 (G3 bare objects), against a real mediary
// over HTTPS with a real worker.
//
// Sources (search-tool code index, github.com/ittybit/sdk-ruby @0428390392050b4596c2353d8022fc173b842053,
// whose ittybit.gemspec says version 1.0.0):
//   lib/requests.rb — Faraday connection with `request :json` (a Hash body is JSON-encoded with Content-Type:
//     application/json; no body, no Content-Type) and `response :raise_error`; get_headers: X-Fern-Language
//     Ruby, X-Fern-SDK-Name ittybit, X-Fern-SDK-Version 1.0.0, Authorization "Bearer <api_key>"
//     (ITTYBIT_API_KEY by default); ACCEPT_VERSION only with `version:`. No User-Agent of its own: Faraday's.
//   lib/ittybit/{files,media,tasks,signatures,automations}/client.rb — `"Accept-Version": "2025-08-20"` on
//     every method except automations.create (header-less: issue 8 A); bodies are the keyword arguments in
//     signature order with nils removed (`.compact`), so a call without arguments sends `{}`; tasks.create
//     sends `{**(request || {})}`; ids interpolated unencoded; params `page`, `limit` (Faraday's
//     NestedParamsEncoder sorts them: limit before page)
//   lib/ittybit/*/types/*_response*.rb — `from_json` reads fields by name and never raises on a missing one
//     (it becomes nil), so the model check in fern-1.0.ts is what catches a wrong shape
// Faraday/net-http adds User-Agent "Faraday v2.x", Accept "*/*" and Accept-Encoding
// "gzip;q=1.0,deflate;q=0.6,identity;q=0.3".
import { describe, expect, it } from 'vitest';
import { type Encode, fern10Suite } from './fern-1.0.js';
import { send, type WireRequest } from './wire.js';

const encodeRuby: Encode = (op, key) => {
  const headers: Record<string, string> = {
    'User-Agent': 'Faraday v2.12.2',
    'X-Fern-Language': 'Ruby',
    'X-Fern-SDK-Name': 'ittybit',
    'X-Fern-SDK-Version': '1.0.0',
    Authorization: `Bearer ${key}`,
  };
  if (op.name !== 'automations.create') headers['Accept-Version'] = '2025-08-20';
  if (op.json !== undefined) headers['Content-Type'] = 'application/json';
  headers['Accept-Encoding'] = 'gzip;q=1.0,deflate;q=0.6,identity;q=0.3';
  headers.Accept = '*/*';
  const query: Record<string, string | undefined> = {};
  if (op.query?.limit != null) query.limit = String(op.query.limit);
  if (op.query?.page != null) query.page = String(op.query.page);
  const r: WireRequest = { method: op.method, path: op.path, query, headers };
  if (op.json !== undefined) r.body = JSON.stringify(op.json ?? {});
  return r;
};

fern10Suite({
  title: 'ittybit (Ruby) 1.0.0',
  encode: encodeRuby,
  headerless: ['automations.create'],
  extra: (ctx) => {
    it('Faraday User-Agent: the X-Fern-SDK-Version 1.0.0 header alone marks a 1.x SDK', async () => {
      const { t, client, ids } = ctx();
      const r = encodeRuby({ name: 'files.get', method: 'GET', path: `/files/${ids.file}` }, t.key);
      delete r.headers['Accept-Version'];
      const res = await send(t, r);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ id: ids.file });
      expect(res.json).not.toHaveProperty('meta');
      expect(client.sent.length).toBeGreaterThan(0);
    });
  },
});

describe('Ruby SDK versions before 1.0 keep the configured default', () => {
  it('X-Fern-SDK-Version 0.x → the default', async () => {
    const { resolveVersion } = await import('../../src/http/versioning.js');
    const headers = {
      'x-fern-sdk-name': 'ittybit',
      'x-fern-sdk-version': '0.9.0',
      'user-agent': 'Faraday v2.12.2',
    };
    expect(resolveVersion(headers, '2025-07-01')).toBe('2025-07-01');
  });
});
