// Versions, envelopes, auth and error shapes over real HTTPS, on every test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest, startTestApp, type TestApp, testDatabases } from '../helpers/app.js';

describe.each(testDatabases())('API protocol (%s)', (db) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t.close();
  });

  describe('versions', () => {
    it('uses the G2 envelope by default, with meta and absolute links', async () => {
      const created = await t.request('/media', { method: 'POST', body: { title: 'one' } });
      expect(created.status).toBe(201);
      expect(created.json.error).toBeNull();
      expect(created.json.meta).toMatchObject({ version: '2025-07-01', type: 'object' });
      expect(created.json.meta.request_id).toMatch(/^req_[A-Za-z0-9]{20}$/);
      expect(created.json.meta.org_id).toMatch(/^org_/);
      expect(created.json.meta.project_id).toMatch(/^prj_/);
      expect(created.json.data.id).toMatch(/^med_[A-Za-z0-9]{16}$/);
      expect(created.json.links.self).toBe(`https://api.test.local/media/${created.json.data.id}`);
      expect(created.json.links.parent).toBe('https://api.test.local/media');
    });

    it.each([
      [{ 'accept-version': '2025-08-20' }, 'bare'],
      [{ 'accept-version': 'latest' }, 'bare'],
      [{ accept_version: '2025-08-20' }, 'bare'],
      [{ 'ittybit-version': '2025-08-20' }, 'bare'],
      [{ 'accept-version': '2025-01-01' }, 'envelope'],
      [{ 'accept-version': 'test' }, 'envelope'],
      [{ 'accept-version': '2025-08-20', accept_version: '2025-01-01' }, 'bare'],
    ])('headers %j → %s', async (headers, shape) => {
      const res = await t.request('/media', { headers: headers as Record<string, string> });
      expect(res.status).toBe(200);
      if (shape === 'bare') expect(Array.isArray(res.json)).toBe(true);
      else expect(res.json.meta.type).toBe('list');
    });

    it('takes a version hint from a JSON body on POST, PATCH and DELETE; a header wins over it', async () => {
      const hint = { 'Accept-Version': '2025-08-20' };
      const created = await t.request('/media', { method: 'POST', body: { ...hint, title: 'hinted' } });
      expect(created.status, created.text).toBe(201);
      expect(created.json).toMatchObject({ object: 'media', title: 'hinted' }); // bare: the hint applied
      const id = created.json.id as string;
      const patched = await t.request(`/media/${id}`, {
        method: 'PATCH',
        body: { ...hint, title: 'again' },
        headers: { 'accept-version': '2025-07-01' },
      });
      expect(patched.status, `PATCH ${patched.text}`).toBe(200);
      expect(patched.json.meta.version).toBe('2025-07-01'); // the header won
      expect(patched.json.data.title).toBe('again'); // and the hint was no field
      // node's client sends a DELETE body only with a length (no chunked encoding by default for DELETE)
      const deleted = await t.request(`/media/${id}`, {
        method: 'DELETE',
        body: hint,
        headers: { 'content-length': String(Buffer.byteLength(JSON.stringify(hint))) },
      });
      expect(deleted.status, `DELETE ${deleted.text}`).toBe(200);
      expect(deleted.json.meta).toBeUndefined(); // bare
    });

    it('lists carry limit/total/page/pages in G2 and Link headers in G3', async () => {
      for (let i = 0; i < 3; i++) await t.request('/media', { method: 'POST', body: { title: `m${i}` } });
      const g2 = await t.request('/media?limit=2&page=1');
      expect(g2.json.meta).toMatchObject({ type: 'list', limit: 2, page: 1 });
      expect(g2.json.meta.total).toBeGreaterThanOrEqual(4);
      expect(g2.json.meta.pages).toBe(Math.ceil(g2.json.meta.total / 2));
      expect(g2.json.links.next).toContain('page=2');
      expect(g2.json.links.prev).toBeNull();
      const g3 = await t.request('/media?limit=2&page=2', { headers: { 'accept-version': '2025-08-20' } });
      expect(g3.json).toHaveLength(2);
      expect(String(g3.headers.link)).toContain('rel="prev"');
      expect(String(g3.headers.link)).toContain('page=1');
    });

    it('lists are newest first, stable across pages, and empty past the end', async () => {
      const all = await t.request('/media?limit=100', { headers: { 'accept-version': 'latest' } });
      const ids = all.json.map((m: { id: string }) => m.id);
      const created = all.json.map((m: { created: string }) => m.created);
      expect([...created].sort().reverse()).toEqual(created);
      const p1 = await t.request('/media?limit=2&page=1', { headers: { 'accept-version': 'latest' } });
      const p2 = await t.request('/media?limit=2&page=2', { headers: { 'accept-version': 'latest' } });
      expect([...p1.json, ...p2.json].map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 4));
      const past = await t.request('/media?page=999', { headers: { 'accept-version': 'latest' } });
      expect(past.status).toBe(200);
      expect(past.json).toEqual([]);
    });

    it('rejects a limit above 100 with a clear message', async () => {
      const res = await t.request('/media?limit=500');
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain('limit');
    });

    it('tolerates the SDK headers', async () => {
      const res = await t.request('/media', {
        headers: {
          'x-fern-language': 'JavaScript',
          'x-fern-sdk-name': '@ittybit/sdk',
          'x-fern-sdk-version': '0.8.7',
          'user-agent': '@ittybit/sdk/0.8.7',
          'x-fern-runtime': 'node',
          'x-fern-runtime-version': '20',
        },
      });
      expect(res.status).toBe(200);
    });
  });

  describe('auth', () => {
    it.each([
      ['missing', undefined, 'Missing API key'],
      ['malformed', 'Basic abc', 'Bearer'],
      ['unknown', 'Bearer mediary_nope_nope_nope_nope', 'not valid'],
    ])('%s key → 401 in the version shape', async (_name, header, message) => {
      const headers: Record<string, string> = header ? { authorization: header } : {};
      const res = await t.request('/files', { noAuth: true, headers });
      expect(res.status).toBe(401);
      expect(res.json.data).toBeNull();
      expect(res.json.meta.type).toBe('error');
      expect(res.json.error.message).toContain(message);
      const bare = await t.request('/files', {
        noAuth: true,
        headers: { ...headers, 'accept-version': 'latest' },
      });
      expect(bare.status).toBe(401);
      expect(bare.json.message).toContain(message);
    });

    it('a revoked key stops working at once', async () => {
      const k = await t.ctx.projects.createKey('development', { name: 'temp' });
      expect((await t.request('/media', { key: k.key })).status).toBe(200);
      await t.ctx.projects.revokeKey(k.id);
      const res = await t.request('/media', { key: k.key });
      expect(res.status).toBe(401);
    });

    it("another project's id answers 404, exactly like an unknown id", async () => {
      const other = await t.ctx.projects.createKey('production');
      const mine = await t.request('/media', { method: 'POST', body: { title: 'private' } });
      const id = mine.json.data.id;
      const theirs = await t.request(`/media/${id}`, { key: other.key });
      const unknown = await t.request('/media/med_0000000000000000', { key: other.key });
      expect(theirs.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(theirs.json.error.message.replace(id, 'X')).toBe(
        unknown.json.error.message.replace('med_0000000000000000', 'X'),
      );
      const list = await t.request('/media?limit=100', {
        key: other.key,
        headers: { 'accept-version': 'latest' },
      });
      expect(list.json.map((m: { id: string }) => m.id)).not.toContain(id);
      expect((await t.request(`/media/${id}`, { key: other.key, method: 'DELETE' })).status).toBe(404);
      expect((await t.request(`/media/${id}`)).status).toBe(200);
    });

    it('health needs no key; every API route does', async () => {
      expect((await t.request('/health', { noAuth: true })).status).toBe(200);
      for (const path of ['/files', '/media', '/files/file_x', '/media/med_x']) {
        expect((await t.request(path, { noAuth: true })).status).toBe(401);
      }
    });
  });

  describe('bad input', () => {
    it('malformed JSON → 400 that says so', async () => {
      const res = await t.request('/media', {
        method: 'POST',
        raw: '{"title": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/not valid JSON/);
    });

    it('parses JSON whatever the declared content type', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const res = await t.request('/media', {
          method: 'POST',
          raw: '{"title":"typed"}',
          headers: { 'content-type': type },
        });
        expect(res.status).toBe(201);
        expect(res.json.data.title).toBe('typed');
      }
    });

    it('wrong types and unknown fields → 400 naming the field', async () => {
      const wrong = await t.request('/media', { method: 'POST', body: { title: 42 } });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error.message).toContain('title');
      const unknown = await t.request('/media', { method: 'POST', body: { titel: 'typo' } });
      expect(unknown.status).toBe(400);
      expect(unknown.json.error.message).toContain('titel');
      const nested = await t.request('/media', { method: 'POST', body: { metadata: { a: { deep: true } } } });
      expect(nested.status).toBe(400);
      expect(nested.json.error.message).toContain('metadata');
    });

    it('an oversized body → 413 in the error shape', async () => {
      const res = await t.request('/media', {
        method: 'POST',
        raw: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }),
      });
      expect(res.status).toBe(413);
      expect(res.json.error.message).toContain('larger');
    });

    it('unknown routes → 404 and wrong methods → 405 with Allow, both in the version shape', async () => {
      const nf = await t.request('/nope');
      expect(nf.status).toBe(404);
      expect(nf.json.error.message).toContain('/nope');
      const na = await t.request('/media', { method: 'PUT', body: {} });
      expect(na.status).toBe(405);
      expect(na.headers.allow).toBe('GET, POST');
      const bare = await t.request('/media/med_1', {
        method: 'POST',
        headers: { 'accept-version': 'latest' },
      });
      expect(bare.status).toBe(405);
      expect(bare.json.message).toContain('POST');
    });

    it('ids of the wrong shape → 400 that names the expected prefix', async () => {
      const res = await t.request('/media/file_abc');
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain('med_');
      const traversal = await t.request('/files/..%2F..%2Fetc%2Fpasswd');
      expect(traversal.status).toBe(400);
    });

    it('prototype pollution keys are dropped, not applied', async () => {
      const res = await t.request('/media', {
        method: 'POST',
        raw: '{"title":"p","__proto__":{"admin":true}}',
      });
      expect(res.status).toBe(201);
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  describe('TLS', () => {
    it('refuses plain HTTP on the API port with a clear message and no data', async () => {
      const http = await import('node:http');
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(
            `http://127.0.0.1:${t.port}/media`,
            { headers: { authorization: `Bearer ${t.key}` }, agent: false },
            (r) => {
              let body = '';
              r.on('data', (c) => {
                body += c;
              });
              r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
            },
          )
          .on('error', reject);
      });
      expect(res.status).toBe(400);
      expect(res.body).toContain('HTTPS');
      expect(res.body).not.toContain('med_');
    });

    it('serves HTTPS with a certificate valid for 127.0.0.1 and localhost', async () => {
      const res = await httpsRequest(`https://localhost:${t.port}/health`, t.ca);
      expect(res.status).toBe(200);
    });
  });
});
