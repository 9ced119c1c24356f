// Wire conformance with the official PHP SDK `ittybit/ittybit` 1.0.0 (G3 bare objects), against a real
// mediary over HTTPS with a real worker.
//
// Sources (search-tool code index, github.com/ittybit/sdk-php @39844b3512061bf96abacb2524e2a6b72d908a9b,
// whose IttybitClient.php says X-Fern-SDK-Version 1.0.0):
//   src/IttybitClient.php — default headers: Authorization Bearer, X-Fern-Language PHP, X-Fern-SDK-Name
//     Ittybit, X-Fern-SDK-Version 1.0.0, User-Agent ittybit/sdk/1.0.0, ACCEPT_VERSION only if `version` given
//   src/Core/Client/RawClient.php @a6c3445 — every JsonApiRequest gets Content-Type: application/json (GETs
//     and DELETEs too); a null body sends none; bodies are `json_encode(...)` without flags, so `/` is sent
//     as `\/` and non-ASCII as `\uXXXX`; an empty associative array is forced to `{}`, but an empty plain
//     array passed as the free-form tasks.create request is `[]`; query is `page` then `limit`
//   src/{Files,Media,Tasks,Signatures,Automations}/*Client.php — paths (`files/{$id}`, unencoded ids) and
//     `$headers['Accept-Version'] = '2025-08-20'` ONLY on: files/media/tasks/automations list, files/media
//     create, files/media/automations update, signatures create. files/media get+delete, tasks create+get,
//     automations create/get/delete send no version header: mediary picks 2025-08-20 from the SDK headers
//     (issue 8 A). Without that PHP threw `TypeError: Cannot assign null to property …FilesGetResponse::$id`.
//   src/*/Types/*Response*.php — typed properties, JsonDeserializer: a required property that is missing
//     or null is a TypeError, so the schemas in fern-1.0.ts make every required field non-null
//   Requests serialise only the properties that were set (JsonSerializableType skips nulls).
// Guzzle (curl handler) adds Accept */* and, for bodies, Content-Length.
import { describe, expect, it } from 'vitest';
import { type Encode, fern10Suite, headerOf } from './fern-1.0.js';
import { send, type WireRequest } from './wire.js';

/** PHP's json_encode() without flags: escapes `/` and every non-ASCII character. */
function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const WITH_VERSION = new Set([
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

const encodePhp: Encode = (op, key) => {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Authorization: `Bearer ${key}`,
    'X-Fern-Language': 'PHP',
    'X-Fern-SDK-Name': 'Ittybit',
    'X-Fern-SDK-Version': '1.0.0',
    'User-Agent': 'ittybit/sdk/1.0.0',
  };
  if (WITH_VERSION.has(op.name)) headers['Accept-Version'] = '2025-08-20';
  headers.Accept = '*/*';
  const query: Record<string, string | undefined> = {};
  if (op.query?.page != null) query.page = String(op.query.page);
  if (op.query?.limit != null) query.limit = String(op.query.limit);
  const r: WireRequest = { method: op.method, path: op.path, query, headers };
  // request objects: set properties only, `{}` when none; tasks.create's `mixed $request` as given
  if (op.json !== undefined) r.body = phpJsonEncode(op.json ?? {});
  return r;
};

fern10Suite({
  title: 'ittybit/ittybit (PHP) 1.0.0',
  encode: encodePhp,
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
    it('header-less GET carries Content-Type: application/json and no body, and still gets a bare object', async () => {
      const { client, ids } = ctx();
      const res = await client.media.get(ids.media);
      const sent = client.last();
      expect(headerOf(sent, 'content-type')).toBe('application/json');
      expect(sent.body).toBeUndefined();
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ id: ids.media, object: 'media' });
    });

    it('escaped slashes in bodies (json_encode) are plain JSON: the url arrives intact', async () => {
      const { client, ids } = ctx();
      const res = await client.files.update(ids.file, { folder: 'a/b' });
      expect(client.last().body).toBe('{"folder":"a\\/b"}');
      expect(res.json.folder).toBe('a/b');
    });

    it('tasks.create([]) sends `[]` (an empty PHP array) and gets a 400 {message}, not a crash', async () => {
      const { t } = ctx();
      const r = encodePhp({ name: 'tasks.create', method: 'POST', path: '/tasks', json: null }, t.key);
      const res = await send(t, { ...r, body: '[]' });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ message: expect.any(String) });
      expect(res.json).not.toHaveProperty('meta');
    });
  },
});

describe('PHP SDK 0.x (not 1.0) keeps the configured default', () => {
  it('ittybit/sdk/0.7.2 with X-Fern-SDK-Version 0.7.2 resolves to the envelope default', async () => {
    const { resolveVersion } = await import('../../src/http/versioning.js');
    expect(
      resolveVersion(
        { 'x-fern-sdk-name': 'Ittybit', 'x-fern-sdk-version': '0.7.2', 'user-agent': 'ittybit/sdk/0.7.2' },
        '2025-07-01',
      ),
    ).toBe('2025-07-01');
  });
});
