// OpenAPI document and reference page, the trusted-proxy mode, and internal errors in the API's shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('OpenAPI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves /openapi.json generated from the route schemas', async () => {
    const res = await t.request('/openapi.json', { noAuth: true });
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\./);
    for (const path of ['/files', '/files/{id}', '/media', '/media/{id}', '/tasks', '/signatures']) {
      expect(Object.keys(res.json.paths)).toContain(path);
    }
    const create = res.json.paths['/files'].post;
    expect(create.requestBody.content['application/json'].schema.required).toContain('url');
    expect(res.json.paths['/health']).toBeUndefined();
  });

  it('serves a readable reference page at /docs', async () => {
    const res = await t.request('/docs/', { noAuth: true });
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toContain('text/html');
  });
});

describe('internal errors', () => {
  it('a failing store answers 500 in the version shape without internals', async () => {
    const t = await startTestApp();
    try {
      await t.ctx.store.db.destroy();
      const g2 = await t.request('/media');
      expect(g2.status).toBe(500);
      expect(g2.json.meta.type).toBe('error');
      expect(g2.json.error.message).toMatch(/request id/);
      expect(g2.text).not.toMatch(/sqlite|kysely|at .*\.ts|driver/i);
      const g3 = await t.request('/media', { headers: { 'accept-version': 'latest' } });
      expect(g3.status).toBe(500);
      expect(Object.keys(g3.json).sort()).toEqual(['kind', 'message']);
    } finally {
      await t.app.close();
      await t.close().catch(() => {});
    }
  });
});

describe('behind a TLS-terminating proxy', () => {
  it('serves plain HTTP, and sends requests the proxy marks as http to the public https URL', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'mediary-proxy-'));
    const config = loadConfig({
      MEDIARY_DATA_DIR: dataDir,
      MEDIARY_TRUST_PROXY: 'true',
      MEDIARY_PUBLIC_URL: 'https://media.example.com',
      MEDIARY_INITIAL_API_KEY: 'mediary_proxy_key_0123456789',
      MEDIARY_LOG_LEVEL: 'silent',
    });
    const ctx = await createContext(config);
    await ctx.projects.bootstrap(config.initialApiKey);
    const app = await buildApp(ctx, { logger: false });
    try {
      const auth = { authorization: 'Bearer mediary_proxy_key_0123456789' };
      const plain = await app.inject({ url: '/media', headers: { ...auth, 'x-forwarded-proto': 'http' } });
      expect(plain.statusCode).toBe(308);
      expect(plain.headers.location).toBe('https://media.example.com/media');
      const ok = await app.inject({ url: '/media', headers: { ...auth, 'x-forwarded-proto': 'https' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().links.self).toBe('https://media.example.com/media?page=1&limit=20');
    } finally {
      await app.close();
      await ctx.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
