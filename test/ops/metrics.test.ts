// /metrics: off unless configured; a scrape shows requests by route and status, the queue as the database
// sees it, task runs by kind and outcome, and blob store failures.
import { copyFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { listenMetrics, type MetricsListener } from '../../src/http/metrics-server.js';
import type { AuthContext } from '../../src/services/projects.service.js';
import { testDatabases } from '../helpers/app.js';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';
import { flakyKind, noteKind } from '../tasks/kinds.js';

function get(port: number, path: string): Promise<{ status: number; type?: string; text: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }));
    })
      .on('error', reject)
      .end();
  });
}

/** The value of one sample line, e.g. value(text, 'mediary_queue_depth'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}

it('is off unless MEDIARY_METRICS_PORT is set, and binds to loopback by default', () => {
  const off = loadConfig({ MEDIARY_DATA_DIR: '/tmp/x' });
  expect(off.metricsPort).toBeUndefined();
  const on = loadConfig({ MEDIARY_DATA_DIR: '/tmp/x', MEDIARY_METRICS_PORT: '9464' });
  expect(on.metricsPort).toBe(9464);
  expect(on.metricsHost).toBe('127.0.0.1');
  expect(() => loadConfig({ MEDIARY_DATA_DIR: '/tmp/x', MEDIARY_METRICS_PORT: 'x' })).toThrow(
    /MEDIARY_METRICS_PORT/,
  );
});

describe.each(testDatabases())('GET /metrics (%s)', (db) => {
  let t: TaskApp;
  let listener: MetricsListener;
  let auth: AuthContext;

  beforeAll(async () => {
    t = await startTaskApp({ db, kinds: [noteKind(), flakyKind(5, true, 'broken')] });
    listener = await listenMetrics(t.ctx.metrics.withProcessMetrics(), { host: '127.0.0.1', port: 0 });
    auth = (await t.ctx.projects.authenticate(t.key))!;
  });
  afterAll(async () => {
    await listener?.close();
    await t?.close();
  });

  async function inputFile() {
    const png = join(t.dataDir, `in-${Math.random()}.png`);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
      .png()
      .toFile(png);
    const copy = `${png}.copy`;
    await copyFile(png, copy);
    return t.ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId });
  }

  it('scrapes the queue, task runs, requests and blob errors as Prometheus text', async () => {
    const file = await inputFile();
    await t.create({ kind: 'note', file_id: file.id });
    await t.create({ kind: 'note', file_id: file.id });
    await t.create({ kind: 'broken', file_id: file.id });
    expect((await t.request('GET', '/tasks/task_nope')).status).toBe(404);

    const before = await get(listener.port, '/metrics');
    expect(before.status).toBe(200);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(before.text, 'mediary_queue_depth')).toBe(3);
    expect(value(before.text, 'mediary_queue_oldest_waiting_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(before.text, 'mediary_tasks{kind="note",status="pending"}')).toBe(2);
    // route patterns, never raw URLs
    expect(
      value(
        before.text,
        'mediary_http_request_duration_seconds_count{method="POST",route="/tasks",status="201"}',
      ),
    ).toBe(3);
    expect(
      value(
        before.text,
        'mediary_http_request_duration_seconds_count{method="GET",route="/tasks/:id",status="404"}',
      ),
    ).toBe(1);
    expect(before.text).not.toContain('task_nope');
    expect(before.text).toContain('mediary_process_cpu_seconds_total');

    await t.engine.runUntilIdle();
    await expect(t.ctx.blobs.stat('../escape')).rejects.toThrow();
    await expect(t.ctx.blobs.stat(`${auth.projectId}/file_missing`)).resolves.toBeNull();

    const after = (await get(listener.port, '/metrics')).text;
    expect(value(after, 'mediary_queue_depth')).toBe(0);
    expect(value(after, 'mediary_queue_oldest_waiting_seconds')).toBe(0);
    expect(value(after, 'mediary_tasks{kind="note",status="completed"}')).toBe(2);
    expect(value(after, 'mediary_task_runs_total{kind="note",status="completed"}')).toBe(2);
    expect(value(after, 'mediary_task_runs_total{kind="broken",status="failed"}')).toBe(1);
    expect(value(after, 'mediary_task_duration_seconds_count{kind="note",status="completed"}')).toBe(2);
    expect(value(after, 'mediary_blob_errors_total{op="stat"}')).toBe(1);
    expect(after).toContain('# TYPE mediary_webhook_deliveries_total counter');
    expect(after).toContain('# TYPE mediary_upload_bytes_total counter');
    expect(after).toContain('# TYPE mediary_task_speed_ratio histogram');
  });

  it('answers 404 off /metrics', async () => {
    expect((await get(listener.port, '/')).status).toBe(404);
  });
});
