// Idempotency-Key on POST, Stripe's semantics, on each database and across two API nodes sharing it.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { buildApp } from '../../src/http/app.js';
import { IdempotencyService } from '../../src/services/idempotency.service.js';
import { IdempotencyRepository } from '../../src/store/idempotency.repository.js';
import { testDatabases } from '../helpers/app.js';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';

describe.each(testDatabases())('Idempotency-Key (%s)', (db) => {
  let a: TaskApp;
  let ctxB: AppContext;
  let appB: FastifyInstance;
  let n = 0;
  const newKey = () => `key-${Date.now()}-${n++}`;

  beforeAll(async () => {
    a = await startTaskApp({ db });
    // a second API node: its own context and app on the same database and data dir (so the same secret)
    ctxB = await createContext(a.config);
    appB = await buildApp(ctxB, { logger: false });
  });
  afterAll(async () => {
    await appB?.close();
    await ctxB?.close();
    await a?.close();
  });

  async function post(node: 'a' | 'b', url: string, body: unknown, headers: Record<string, string> = {}) {
    const app = node === 'a' ? a.app : appB;
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${a.key}`, 'accept-version': '2025-08-20', ...headers },
      payload: JSON.stringify(body),
    });
    return { status: res.statusCode, headers: res.headers, body: res.body, json: res.json() };
  }

  async function mediaCount(): Promise<number> {
    const r = await a.ctx.store.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  it('replays the first response for the same key and body, on either node', async () => {
    const key = newKey();
    const before = await mediaCount();
    const first = await post(
      'a',
      '/media',
      { title: 'once', metadata: { a: 1, b: 2 } },
      { 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // the same request again, the body's keys in another order, through the other node
    const again = await post(
      'b',
      '/media',
      { metadata: { b: 2, a: 1 }, title: 'once' },
      { 'idempotency-key': key },
    );
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.body).toBe(first.body);
    expect(await mediaCount()).toBe(before + 1);
    // without a key, the same body makes another
    expect((await post('a', '/media', { title: 'once' })).status).toBe(201);
    expect(await mediaCount()).toBe(before + 2);
  });

  it('refuses the same key with another request (422), in the version shape', async () => {
    const key = newKey();
    expect((await post('a', '/media', { title: 'one' }, { 'idempotency-key': key })).status).toBe(201);
    const other = await post('b', '/media', { title: 'two' }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.json.kind).toBe('idempotency_key_reused');
    const envelope = await post(
      'a',
      '/media',
      { title: 'two' },
      {
        'idempotency-key': key,
        'accept-version': '2025-07-01',
      },
    );
    expect(envelope.status).toBe(422);
    expect(envelope.json.data).toBeNull();
    expect(envelope.json.error.code).toBe('idempotency_key_reused');
    expect(envelope.json.error.message).toMatch(/Idempotency-Key/);
    // another path with the same key is another request too
    expect(
      (await post('a', '/files', { url: 'https://example.com/x.png' }, { 'idempotency-key': key })).status,
    ).toBe(422);
  });

  it('answers 409 while the first request with the key is still running on another node', async () => {
    const key = newKey();
    const auth = (await a.ctx.projects.authenticate(a.key))!;
    const body = { title: 'slow' };
    // node A is in the middle of the first request
    const begun = await a.ctx.idempotency.begin(auth.projectId, key, 'POST', '/media', body);
    expect(begun.kind).toBe('run');
    const dup = await post('b', '/media', body, { 'idempotency-key': key });
    expect(dup.status).toBe(409);
    expect(dup.json.kind).toBe('idempotency_key_in_use');
    // the first request fails with a 5xx: the key is given back and the retry runs
    if (begun.kind === 'run') await begun.held.release();
    const retry = await post('b', '/media', body, { 'idempotency-key': key });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keeps nothing for a request that failed validation, and keeps 4xx answers of the handler', async () => {
    const key = newKey();
    const bad = await post('a', '/media', { title: 5 }, { 'idempotency-key': key });
    expect(bad.status).toBe(400);
    expect((await post('a', '/media', { title: 'fixed' }, { 'idempotency-key': key })).status).toBe(201);

    const key2 = newKey();
    const missing = await post(
      'a',
      '/tasks',
      { kind: 'image', file_id: 'file_0000000000000000' },
      {
        'idempotency-key': key2,
      },
    );
    expect(missing.status).toBe(404);
    const replay = await post(
      'b',
      '/tasks',
      { kind: 'image', file_id: 'file_0000000000000000' },
      {
        'idempotency-key': key2,
      },
    );
    expect(replay.status).toBe(404);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('scopes keys per project and refuses keys over 255 characters', async () => {
    const key = newKey();
    const auth = (await a.ctx.projects.authenticate(a.key))!;
    await a.ctx.idempotency.begin('prj_other', key, 'POST', '/media', { title: 'x' }).catch(() => {});
    const mine = await post('a', '/media', { title: 'mine' }, { 'idempotency-key': key });
    expect(mine.status).toBe(201);
    expect(auth.projectId).not.toBe('prj_other');
    const long = await post('a', '/media', {}, { 'idempotency-key': 'k'.repeat(256) });
    expect(long.status).toBe(400);
  });

  it('takes over a key whose node died, and prunes keys after 24 h', async () => {
    const auth = (await a.ctx.projects.authenticate(a.key))!;
    const repo = new IdempotencyRepository(a.ctx.store.db);
    const dayAgo = Date.now() - 25 * 3600_000;
    const old = new IdempotencyService(repo, { lockMs: 1000, clock: () => dayAgo });
    const key = newKey();
    // held by a node that died a day ago (lock long past): a new request runs
    await old.begin(auth.projectId, key, 'POST', '/media', { title: 'dead' });
    const res = await post('a', '/media', { title: 'dead' }, { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();

    const stale = newKey();
    const begun = await old.begin(auth.projectId, stale, 'POST', '/media', {});
    if (begun.kind === 'run') await begun.held.finish({ status: 201, type: 'application/json', body: '{}' });
    expect(await a.ctx.idempotency.prune()).toBeGreaterThanOrEqual(1);
    expect(await repo.get(auth.projectId, stale)).toBeUndefined();
    expect(await repo.get(auth.projectId, key)).toBeDefined();
  });
});
