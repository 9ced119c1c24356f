// Graceful shutdown of a worker: it claims nothing new, lets running tasks finish within the grace period,
// then gives the rest back at once (attempt not counted) so another worker starts them without waiting for
// a lease to lapse. Through the real `mediary start` process: SIGTERM does the same and the process exits.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/services/projects.service.js';
import { testDatabases } from '../helpers/app.js';
import { startTaskApp, type TaskApp } from './helpers.js';
import { gateKind, noteKind } from './kinds.js';

describe.each(testDatabases())('graceful worker stop (%s)', (db) => {
  let t: TaskApp;
  let auth: AuthContext;
  const gate = gateKind();
  beforeEach(async () => {
    t = await startTaskApp({ db, kinds: [noteKind(), gate.def] });
    auth = (await t.ctx.projects.authenticate(t.key))!;
  });
  afterEach(async () => {
    await t?.close();
  });

  async function inputFile() {
    const png = join(t.dataDir, `in-${Math.random()}.png`);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
      .png()
      .toFile(png);
    return t.ctx.ingest.ingestLocalFile(auth, png, { createdBy: auth.keyId });
  }

  it('a task that finishes within the grace period completes; nothing new is claimed meanwhile', async () => {
    const file = await inputFile();
    const engine = await t.ctx.startWorker({ workerId: 'graceful', concurrency: 1 });
    const { task } = await t.ctx.tasks.create(auth, { kind: 'gate', file_id: file.id });
    await gate.started(task.id);
    const stopping = engine.stop(10_000);
    // queued while stopping: must wait for another worker
    const { task: late } = await t.ctx.tasks.create(auth, { kind: 'note', file_id: file.id });
    setTimeout(() => gate.open(task.id), 100);
    await stopping;
    expect((await t.ctx.repos.tasks.getById(task.id))!).toMatchObject({ status: 'completed', attempts: 1 });
    expect(gate.aborted.find((a) => a.id === task.id)).toBeUndefined();
    expect((await t.ctx.repos.tasks.getById(late.id))!.status).toBe('pending');
  });

  it('past the grace period the run is aborted and its task given back at once, attempt not counted', async () => {
    const file = await inputFile();
    const engine = await t.ctx.startWorker({ workerId: 'impatient', concurrency: 1 });
    const { task } = await t.ctx.tasks.create(auth, { kind: 'gate', file_id: file.id });
    await gate.started(task.id);
    const t0 = Date.now();
    await engine.stop(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(gate.aborted.find((a) => a.id === task.id)?.reason).toMatchObject({ reason: 'shutdown' });
    expect((await t.ctx.repos.tasks.getById(task.id))!).toMatchObject({
      status: 'pending',
      attempts: 0,
      lease_until: null,
    });
    // another worker on the real clock takes it over now, not after a lease
    gate.open(task.id);
    expect(await t.engine.runUntilIdle()).toBe(1);
    expect((await t.ctx.repos.tasks.getById(task.id))!.status).toBe('completed');
  });
});

describe('mediary start on SIGTERM', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-sigterm-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drains and exits 0', async () => {
    const root = join(import.meta.dirname, '../..');
    const child = spawn(process.execPath, ['bin/mediary.js', 'start'], {
      cwd: root,
      env: {
        ...process.env,
        MEDIARY_DATA_DIR: dir,
        MEDIARY_PORT: '0',
        MEDIARY_DELIVERY_PORT: '0',
        MEDIARY_LOG_LEVEL: 'silent',
        MEDIARY_SHUTDOWN_GRACE_MS: '2000',
        MEDIARY_DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    const ready = new Promise<void>((resolve) =>
      createInterface({ input: child.stdout! }).on('line', (l) => {
        lines.push(l);
        if (l.startsWith('mediary ready')) resolve();
      }),
    );
    await ready;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('SIGTERM: stopping'))).toBe(true);
  });
});
