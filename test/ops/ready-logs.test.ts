// /ready (database, storage, ffmpeg) and the logs: one JSON line per request and per task transition with
// its ids, never an API key or a signature.

import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_REDACT } from '../../src/app-context.js';
import { buildApp } from '../../src/http/app.js';
import { TaskEngine } from '../../src/worker/engine.js';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';
import { noteKind } from '../tasks/kinds.js';

describe('readiness and logs', () => {
  let t: TaskApp;
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const log = pino({ level: 'info', redact: LOG_REDACT }, sink);

  beforeAll(async () => {
    t = await startTaskApp({ kinds: [noteKind()] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('GET /ready checks the database, storage and ffmpeg', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.map((c: { name: string }) => c.name)).toEqual(['database', 'storage', 'ffmpeg']);
    expect(body.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
  });

  it('logs each request and task transition with ids, and never a key or a signature', async () => {
    const app = await buildApp({ ...t.ctx, log });
    try {
      const auth = (await t.ctx.projects.authenticate(t.key))!;
      const png = join(t.dataDir, 'in.png');
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } })
        .png()
        .toFile(png);
      const file = await t.ctx.ingest.ingestLocalFile(auth, png, { createdBy: auth.keyId });
      const res = await app.inject({
        method: 'POST',
        url: '/tasks?signature=abc123sig',
        headers: { authorization: `Bearer ${t.key}`, 'accept-version': '2025-08-20' },
        payload: JSON.stringify({ kind: 'note', file_id: file.id }),
      });
      expect(res.statusCode).toBe(201);
      const taskId = res.json().id;
      // the worker's lines go through the same logger in a real process (app-context wires it)
      const engine = new TaskEngine(
        { config: t.config, runs: t.ctx.runs, log: (level, msg, data) => log[level](data ?? {}, msg) },
        { concurrency: 1 },
      );
      await engine.runUntilIdle();
      await engine.stop();
      // whatever a caller passes, these never reach the log
      log.info({ authorization: `Bearer ${t.key}`, key: t.key, signature: 'v1,c2lnbmF0dXJl' }, 'careless');

      const parsed = lines.map((l) => JSON.parse(l));
      const request = parsed.find((l) => l.msg === 'request' && l.route === '/tasks');
      expect(request).toMatchObject({
        request_id: res.headers['x-request-id'],
        project_id: auth.projectId,
        method: 'POST',
        path: '/tasks',
        status: 201,
      });
      const transitions = parsed.filter((l) => l.task_id === taskId).map((l) => l.msg);
      expect(transitions).toEqual(['task started', 'task completed']);
      expect(parsed.find((l) => l.msg === 'task completed')).toMatchObject({ project_id: auth.projectId });
      const all = lines.join('\n');
      expect(all).not.toContain(t.key);
      expect(all).not.toContain('abc123sig');
      expect(all).not.toContain('c2lnbmF0dXJl');
    } finally {
      await app.close();
    }
  });
});
