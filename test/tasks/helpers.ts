// A task-engine test app: a real context (SQLite file, or a fresh PostgreSQL schema) with extra task kinds
// registered through createContext's `kinds` hook, the API driven with inject(), and an unstarted engine
// the tests drive with runUntilIdle().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type AppContext, createContext } from '../../src/app-context.js';
import { type Config, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { randomBase62 } from '../../src/lib/ids.js';
import type { TaskKindDefinition } from '../../src/runners/runner.js';
import type { EngineOptions, TaskEngine } from '../../src/worker/engine.js';
import { databaseUrlFor, type TestDb } from '../helpers/app.js';

export interface Res {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON
  json: any;
  headers: Record<string, unknown>;
}

export interface TaskApp {
  ctx: AppContext;
  app: FastifyInstance;
  config: Config;
  key: string;
  dataDir: string;
  databaseUrl: string;
  engine: TaskEngine;
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  /** POST /tasks, expecting 201; returns the task */
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  create(body: Record<string, unknown>): Promise<any>;
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  task(id: string): Promise<any>;
  close(): Promise<void>;
}

export async function startTaskApp(
  opts: {
    db?: TestDb;
    env?: Record<string, string>;
    kinds?: TaskKindDefinition[];
    engine?: EngineOptions;
  } = {},
): Promise<TaskApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-tasks-'));
  const database = databaseUrlFor(opts.db ?? 'sqlite', dataDir);
  const key = `mediary_test_${randomBase62(32)}`;
  const config = loadConfig({
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_DATABASE_URL: database.url,
    MEDIARY_PUBLIC_URL: 'https://api.test.local',
    MEDIARY_DELIVERY_URL: 'https://cdn.test.local',
    MEDIARY_INITIAL_API_KEY: key,
    MEDIARY_ALLOW_PRIVATE_URLS: 'true',
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_DEFAULT_VERSION: '2025-01-01',
    MEDIARY_TASK_RETRY_DELAY_MS: '0',
    MEDIARY_WORKER_CONCURRENCY: '2',
    // the automatic poster task (docs/tasks.md) would add a task to every upload; its own tests turn it on
    MEDIARY_AUTO_POSTER: 'false',
    ...opts.env,
  });
  const ctx = await createContext(config, { kinds: opts.kinds });
  await ctx.projects.bootstrap(config.initialApiKey);
  const app = await buildApp(ctx, { logger: false });
  const engine = ctx.createWorker(opts.engine);
  const request: TaskApp['request'] = async (method, url, body, headers = {}) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}`, 'accept-version': '2025-08-20', ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    let json: unknown;
    try {
      json = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, json, headers: res.headers };
  };
  return {
    ctx,
    app,
    config,
    key,
    dataDir,
    databaseUrl: database.url,
    engine,
    request,
    async create(body) {
      const res = await request('POST', '/tasks', body);
      if (res.status !== 201) throw new Error(`POST /tasks → ${res.status}: ${JSON.stringify(res.json)}`);
      return res.json;
    },
    async task(id) {
      const res = await request('GET', `/tasks/${id}`);
      if (res.status !== 200)
        throw new Error(`GET /tasks/${id} → ${res.status}: ${JSON.stringify(res.json)}`);
      return res.json;
    },
    async close() {
      await engine.stop();
      await app.close();
      await ctx.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
