// `mediary start` keeps the event log to MEDIARY_EVENT_RETENTION_DAYS: every process prunes when it starts
// and every hour after (events.service startPruner; the batches themselves are tested with the events API
// in test/automations/automations.test.ts).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';

const KEY = 'mediary_test_key_event_retention_0123456789';

describe('mediary start prunes the event log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-retention-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('deletes events past the retention when it starts, and keeps the rest', async () => {
    const env = {
      MEDIARY_DATA_DIR: dir,
      MEDIARY_LOG_LEVEL: 'silent',
      MEDIARY_INITIAL_API_KEY: KEY,
      MEDIARY_EVENT_RETENTION_DAYS: '7',
      MEDIARY_DATABASE_URL: '',
    };
    const ctx = await createContext(loadConfig(env));
    await ctx.projects.bootstrap(KEY);
    const auth = (await ctx.projects.authenticate(KEY))!;
    const event = (id: string, daysAgo: number) => ({
      id,
      project_id: auth.projectId,
      kind: 'file.created',
      data: '{}',
      created: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
    });
    await ctx.store.db
      .insertInto('events')
      .values([event('evt_EightDaysOld00001', 8), event('evt_SixDaysOld000001', 6)])
      .execute();
    const ids = () =>
      ctx.store.db
        .selectFrom('events')
        .select('id')
        .where('id', 'in', ['evt_EightDaysOld00001', 'evt_SixDaysOld000001'])
        .execute()
        .then((rows) => rows.map((r) => r.id));
    expect(await ids()).toHaveLength(2);

    const root = join(import.meta.dirname, '../..');
    const child = spawn(process.execPath, ['bin/mediary.js', 'start'], {
      cwd: root,
      env: { ...process.env, ...env, MEDIARY_PORT: '0', MEDIARY_DELIVERY_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await Promise.race([
        new Promise<void>((resolve) =>
          createInterface({ input: child.stdout! }).on('line', (l) => {
            if (l.startsWith('mediary ready')) resolve();
          }),
        ),
        exited.then((code) => {
          throw new Error(`mediary start exited with ${code} before it was ready`);
        }),
      ]);
      await vi.waitFor(async () => expect(await ids()).toEqual(['evt_SixDaysOld000001']), {
        timeout: 10_000,
        interval: 100,
      });
    } finally {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      await ctx.close();
    }
  });
});
