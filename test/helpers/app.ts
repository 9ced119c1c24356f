// Builds a real server for integration tests: temp data dir, real store (SQLite, or PostgreSQL in its own
// schema), real blob store, real HTTPS on an ephemeral loopback port.
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppContext, createContext } from '../../src/app-context.js';
import { type Config, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { loadTls } from '../../src/http/tls.js';
import { randomBase62 } from '../../src/lib/ids.js';
import type { TaskKindDefinition } from '../../src/runners/runner.js';

export type TestDb = 'sqlite' | 'postgres';

/**
 * SQLite always; PostgreSQL too when MEDIARY_TEST_DATABASE_URL is set (CI sets it; global setup points it at
 * a database of this run's own).
 */
export function testDatabases(): TestDb[] {
  return process.env.MEDIARY_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A database URL for one test app: a file in the data dir, or a fresh PostgreSQL schema. */
export function databaseUrlFor(db: TestDb, dataDir: string): { url: string; drop: () => Promise<void> } {
  if (db === 'sqlite') return { url: `sqlite://${join(dataDir, 'test.db')}`, drop: async () => {} };
  const base = process.env.MEDIARY_TEST_DATABASE_URL;
  if (!base) throw new Error('MEDIARY_TEST_DATABASE_URL is not set');
  const schema = `t_${randomBase62(12).toLowerCase()}`;
  const u = new URL(base);
  u.searchParams.set('schema', schema);
  // inside the run's own database, which test/global-setup.ts drops after the run; not here (see there why)
  return { url: u.toString(), drop: async () => {} };
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON
  json: any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** send this exact string/buffer as the body */
  raw?: string | Buffer;
  /** omit the Authorization header */
  noAuth?: boolean;
  key?: string;
}

export interface TestApp {
  ctx: AppContext;
  app: FastifyInstance;
  config: Config;
  key: string;
  dataDir: string;
  /** https://127.0.0.1:PORT */
  origin: string;
  port: number;
  ca: string;
  request(path: string, opts?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/** A finished response as tests read it: status, headers, text, and the JSON body when there is one. */
export function testResponse(res: IncomingMessage, body: Buffer): TestResponse {
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, json };
}

export function httpsRequest(
  url: string,
  ca: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(testResponse(res, Buffer.concat(chunks))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export async function startTestApp(
  opts: {
    db?: TestDb;
    env?: Record<string, string>;
    listen?: boolean;
    /** task kinds added to the built-in ones (createContext's hook) */
    kinds?: TaskKindDefinition[];
  } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-test-'));
  const database = databaseUrlFor(opts.db ?? 'sqlite', dataDir);
  const key = `mediary_test_${randomBase62(32)}`;
  const config = loadConfig({
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_DATABASE_URL: database.url,
    MEDIARY_PORT: '0',
    MEDIARY_DELIVERY_PORT: '0',
    MEDIARY_PUBLIC_URL: 'https://api.test.local',
    MEDIARY_DELIVERY_URL: 'https://cdn.test.local',
    MEDIARY_INITIAL_API_KEY: key,
    MEDIARY_ALLOW_PRIVATE_URLS: 'true',
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_WORKER_CONCURRENCY: '0',
    // the automatic poster task (docs/tasks.md) would add a task to every upload; its own tests turn it on
    MEDIARY_AUTO_POSTER: 'false',
    ...opts.env,
  });
  const ctx = await createContext(config, { kinds: opts.kinds });
  await ctx.projects.bootstrap(config.initialApiKey);
  const tls = await loadTls(config);
  const app = await buildApp(ctx, { tls, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const origin = `https://127.0.0.1:${port}`;
  return {
    ctx,
    app,
    config,
    key,
    dataDir,
    origin,
    port,
    ca: tls.cert,
    request(path, r = {}) {
      const headers: Record<string, string> = { ...r.headers };
      if (!r.noAuth) headers.authorization = `Bearer ${r.key ?? key}`;
      let body: string | Buffer | undefined = r.raw;
      if (r.body !== undefined) {
        body = JSON.stringify(r.body);
        headers['content-type'] ??= 'application/json';
      }
      return httpsRequest(origin + path, tls.cert, { method: r.method, headers, body });
    },
    async close() {
      await app.close();
      await ctx.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
