// GET /events/stream over real HTTPS: a task's events and progress in order, resume by Last-Event-ID and
// ?after, project isolation, the types filter, 401/404/429 as JSON, keep-alive, and shutdown with streams open.
import { copyFile } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/services/projects.service.js';
import { startTestApp, type TestApp, testDatabases } from '../helpers/app.js';
import { gateKind } from '../tasks/kinds.js';

interface SseMessage {
  id?: string;
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: wire JSON
  data: any;
}

interface Stream {
  res: IncomingMessage;
  req: ClientRequest;
  messages: SseMessage[];
  comments: string[];
  ended: Promise<void>;
  /** resolves with the first message (from the start) that matches */
  next(pred: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Opens an event stream; resolves once the 200 and its headers arrived (or rejects with the error body). */
function openStream(t: TestApp, path: string, headers: Record<string, string> = {}, key = t.key) {
  return new Promise<Stream>((resolve, reject) => {
    const req = https.request(
      t.origin + path,
      { ca: t.ca, agent: false, headers: { authorization: `Bearer ${key}`, ...headers } },
      (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            reject(
              Object.assign(new Error(`status ${res.statusCode}`), {
                status: res.statusCode,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
              }),
            ),
          );
          return;
        }
        const messages: SseMessage[] = [];
        const comments: string[] = [];
        const waiters: (() => void)[] = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i = buf.indexOf('\n\n');
          while (i >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const m: Partial<SseMessage> & { raw?: string } = {};
            let isMessage = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line);
              else if (line.startsWith('id: ')) m.id = line.slice(4);
              else if (line.startsWith('event: ')) {
                m.event = line.slice(7);
                isMessage = true;
              } else if (line.startsWith('data: ')) m.data = JSON.parse(line.slice(6));
            }
            if (isMessage) messages.push(m as SseMessage);
            for (const w of waiters.splice(0)) w();
            i = buf.indexOf('\n\n');
          }
        });
        const ended = new Promise<void>((r) => {
          res.on('end', r);
          res.on('close', r);
          res.on('error', () => r());
        });
        resolve({
          res,
          req,
          messages,
          comments,
          ended,
          next(pred, timeoutMs = 10_000) {
            return new Promise((ok, fail) => {
              const timer = setTimeout(
                () => fail(new Error(`no matching message; got ${messages.map((x) => x.event).join(', ')}`)),
                timeoutMs,
              );
              const check = () => {
                const found = messages.find(pred);
                if (found) {
                  clearTimeout(timer);
                  ok(found);
                } else waiters.push(check);
              };
              check();
            });
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())('GET /events/stream (%s)', (db) => {
  let t: TestApp;
  let auth: AuthContext;
  const gate = gateKind();
  const bare = { 'accept-version': '2025-08-20' };
  const streams: Stream[] = [];

  beforeEach(async () => {
    t = await startTestApp({ db, kinds: [gate.def], env: { MEDIARY_WORKER_CONCURRENCY: '1' } });
    auth = (await t.ctx.projects.authenticate(t.key))!;
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t?.close();
  });

  async function stream(path: string, headers: Record<string, string> = {}, key?: string) {
    const s = await openStream(t, path, headers, key);
    streams.push(s);
    return s;
  }

  async function inputFile(a: AuthContext = auth) {
    const png = join(t.dataDir, `in-${Math.random()}.png`);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
      .png()
      .toFile(png);
    const copy = `${png}.copy.png`;
    await copyFile(png, copy);
    return t.ctx.ingest.ingestLocalFile(a, copy, { createdBy: a.keyId });
  }

  /** A media with `n` media.updated events; returns their ids, oldest first. */
  async function updates(n: number, key = t.key): Promise<string[]> {
    const m = await t.request('/media', { method: 'POST', body: {}, headers: bare, key });
    expect(m.status).toBe(201);
    for (let i = 0; i < n; i++) {
      const r = await t.request(`/media/${m.json.id}`, {
        method: 'PATCH',
        body: { title: `v${i}` },
        headers: bare,
        key,
      });
      expect(r.status).toBe(200);
    }
    const list = await t.request(`/events?kind=media.updated&limit=100`, { headers: bare, key });
    return (list.json as { id: string; data: { id: string } }[])
      .filter((e) => e.data.id === m.json.id)
      .map((e) => e.id)
      .reverse();
  }

  it('sends a real task as task.created, task.progress, task.completed, in that order', async () => {
    await t.ctx.startWorker();
    const s = await stream('/events/stream');
    expect(s.res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.res.headers['cache-control']).toBe('no-cache');
    expect(s.res.headers['x-accel-buffering']).toBe('no');
    expect(s.res.headers['x-request-id']).toMatch(/^req_/);

    const file = await inputFile();
    const created = await t.request('/tasks', {
      method: 'POST',
      body: { kind: 'gate', file_id: file.id },
      headers: bare,
    });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const progress = await s.next(
      (m) => m.event === 'task.progress' && m.data.id === id && m.data.progress === 40,
    );
    expect(progress.data).toEqual({ id, status: 'processing', progress: 40, eta: 12 });
    expect(progress.id).toBeUndefined();
    gate.open(id);
    const done = await s.next((m) => m.event === 'task.completed' && m.data.data.id === id);

    const mine = s.messages.filter((m) => (m.data.data?.id ?? m.data.id) === id).map((m) => m.event);
    const first = (e: string) => mine.indexOf(e);
    expect(first('task.created')).toBe(0);
    expect(first('task.created')).toBeLessThan(first('task.progress'));
    expect(first('task.progress')).toBeLessThan(first('task.completed'));
    expect(mine.lastIndexOf('task.progress')).toBeLessThan(first('task.completed'));
    // each log event is exactly what GET /events/{id} answers
    const one = await t.request(`/events/${done.id}`, { headers: bare });
    expect(done.data).toEqual(one.json);
    expect(done.id).toBe(one.json.id);
    // the upload's events came too
    expect(s.messages.some((m) => m.event === 'media.created' && m.data.data.id === file.media_id)).toBe(
      true,
    );
  });

  it('resumes after Last-Event-ID or ?after with only the later events, then goes on live', async () => {
    const [e1, e2, e3] = await updates(3);
    const s = await stream('/events/stream', { 'last-event-id': e1 });
    await s.next((m) => m.id === e3);
    expect(s.messages.map((m) => m.id)).toEqual([e2, e3]);
    const [e4] = await updates(1);
    await s.next((m) => m.id === e4);

    const a = await stream(`/events/stream?after=${e2}`);
    await a.next((m) => m.id === e3);
    // the header wins over the query (a reconnect keeps the URL it was opened with)
    const h = await stream(`/events/stream?after=${e1}`, { 'last-event-id': e3 });
    await h.next((m) => m.id === e4);
    expect(h.messages.map((m) => m.id)).not.toContain(e2);
    expect(h.messages.map((m) => m.id)).not.toContain(e3);
    await sleep(700);
    expect(a.messages.filter((m) => m.id === e3)).toHaveLength(1);
    expect(s.messages.filter((m) => m.id === e4)).toHaveLength(1);
  });

  it('answers 404 JSON for an unknown ?after, 401 JSON for a bad key, 400 for a bad types list', async () => {
    const unknown = await openStream(t, '/events/stream?after=evt_nope123').catch((e) => e);
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/json/);
    const bad = await openStream(t, '/events/stream', {}, 'mediary_not_a_key_0000000000').catch((e) => e);
    expect(bad.status).toBe(401);
    expect(bad.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(bad.body).error.code).toBe('token_invalid');
    const types = await openStream(t, '/events/stream?types=task.,DROP%20TABLE').catch((e) => e);
    expect(types.status).toBe(400);
    // an unknown Last-Event-ID (pruned, another project's) just starts live
    const s = await stream('/events/stream', { 'last-event-id': 'evt_gone' });
    const [e] = await updates(1);
    await s.next((m) => m.id === e);
  });

  it("never sends another project's events", async () => {
    const other = await t.ctx.projects.createProject(`other-${db}`);
    const otherKey = (await t.ctx.projects.createKey(other.id)).key;
    const s = await stream('/events/stream');
    const o = await stream('/events/stream', {}, otherKey);
    const theirs = await updates(2, otherKey);
    const [mine] = await updates(1);
    await s.next((m) => m.id === mine);
    await o.next((m) => m.id === theirs[1]);
    await sleep(700);
    expect(s.messages.map((m) => m.id)).toEqual([mine]);
    expect(o.messages.map((m) => m.id)).toEqual(theirs);
  });

  it('filters by kind prefix', async () => {
    const s = await stream('/events/stream?types=media.');
    const file = await inputFile();
    await s.next((m) => m.event === 'media.created' && m.data.data.id === file.media_id);
    const [u] = await updates(1);
    await s.next((m) => m.id === u);
    expect(s.messages.every((m) => m.event.startsWith('media.'))).toBe(true);
  });

  it('stops polling when the last client goes away', async () => {
    const s = await stream('/events/stream');
    expect(t.ctx.eventStream.subscribers(auth.projectId)).toBe(1);
    expect(t.ctx.eventStream.polling).toBe(true);
    s.close();
    await s.ended;
    for (let i = 0; i < 50 && t.ctx.eventStream.polling; i++) await sleep(20);
    expect(t.ctx.eventStream.subscribers(auth.projectId)).toBe(0);
    expect(t.ctx.eventStream.polling).toBe(false);
    // Fastify's onResponse ran for it: the request is counted by route
    const { body } = await t.ctx.metrics.scrape();
    expect(body).toMatch(/route="\/events\/stream"/);
  });
});

describe('GET /events/stream limits and shutdown', () => {
  it('caps streams per project (429 JSON) and sends keep-alive comments', async () => {
    const t = await startTestApp({
      env: { MEDIARY_EVENT_STREAM_MAX: '1', MEDIARY_EVENT_STREAM_KEEPALIVE_MS: '150' },
    });
    try {
      const s = await openStream(t, '/events/stream');
      const refused = await openStream(t, '/events/stream').catch((e) => e);
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(refused.body).error.code).toBe('rate_limited');
      await sleep(500);
      expect(s.comments.filter((c) => c === ': keep-alive').length).toBeGreaterThanOrEqual(2);
      s.close();
      await s.ended;
      for (let i = 0; i < 50 && t.ctx.eventStream.polling; i++) await sleep(20);
      const again = await openStream(t, '/events/stream');
      again.close();
    } finally {
      await t.close();
    }
  });

  it('app.close() ends open streams instead of waiting for them', async () => {
    const t = await startTestApp();
    const a = await openStream(t, '/events/stream');
    const b = await openStream(t, '/events/stream?types=task.');
    const started = Date.now();
    await t.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await Promise.all([a.ended, b.ended]);
    expect(t.ctx.eventStream.polling).toBe(false);
  });
});
