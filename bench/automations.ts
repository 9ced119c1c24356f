// Automations on the embedded default (SQLite, in-process worker with 2 slots): the time from a finished
// upload (ingest returned) to all outputs of a three-step automation ready, against the same three tasks
// created directly through the task service, one after another and all at once. Arms alternate in rounds;
// medians with spread. BENCH_AUTOMATION_ROUNDS changes the count.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { type AppContext, createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import type { AuthContext } from '../src/services/projects.service.js';
import { fmt } from './lib.js';

const ROUNDS = Number(process.env.BENCH_AUTOMATION_ROUNDS ?? 7);
const KEY = 'mediary_bench_key_0123456789abcdef';
const STEPS = [
  { kind: 'image', width: 640, format: 'webp' },
  { kind: 'image', width: 320, format: 'jpeg' },
  { kind: 'image', width: 160, format: 'png' },
];

function stats(values: number[]): { median: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

/** Resolves when the task reaches completed or failed (the engine's 'finished' signal). */
function finished(ctx: AppContext, ids: Set<string>): Promise<void> {
  return new Promise((resolve) => {
    const off = ctx.signals.on('tasks', (s) => {
      if (s.type === 'finished' && ids.delete(s.id) && ids.size === 0) {
        off();
        resolve();
      }
    });
  });
}

export async function benchAutomations(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-auto-'));
  try {
    const config = loadConfig({
      // the automatic poster of each new media would be work the raw baseline does not do
      MEDIARY_AUTO_POSTER: 'false',
      MEDIARY_DATA_DIR: dataDir,
      MEDIARY_LOG_LEVEL: 'silent',
      MEDIARY_INITIAL_API_KEY: KEY,
      MEDIARY_WORKER_CONCURRENCY: '2',
    });
    const ctx = await createContext(config);
    await ctx.projects.bootstrap(config.initialApiKey);
    await ctx.startWorker();
    const auth = (await ctx.projects.authenticate(KEY)) as AuthContext;
    const jpeg = join(dataDir, 'in.jpg');
    await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#336699' } })
      .composite([
        {
          input: Buffer.from(
            '<svg width="800" height="600"><circle cx="400" cy="300" r="250" fill="#f80"/></svg>',
          ),
        },
      ])
      .jpeg()
      .toFile(jpeg);
    const upload = async () => {
      const copy = `${jpeg}.${performance.now()}`;
      await copyFile(jpeg, copy);
      return ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId });
    };
    const automation = await ctx.automations.create(auth, {
      trigger: { kind: 'event', event: 'media.created' },
      workflow: STEPS,
      status: 'paused',
    });

    const viaAutomation = async () => {
      await ctx.automations.update(auth, automation.id, { status: 'active' });
      let mediaId = '';
      const done = new Promise<void>((resolve) => {
        const off = ctx.signals.on('tasks', async (s) => {
          if (s.type !== 'finished') return;
          const row = await ctx.repos.tasks.getById(s.id);
          if (row?.kind === 'workflow' && row.automation_id === automation.id && row.media_id === mediaId) {
            off();
            resolve();
          }
        });
      });
      const file = await upload();
      mediaId = file.media_id;
      const t0 = performance.now();
      await done;
      const ms = performance.now() - t0;
      await ctx.automations.update(auth, automation.id, { status: 'paused' });
      return ms;
    };
    const sequential = async () => {
      const file = await upload();
      const t0 = performance.now();
      for (const step of STEPS) {
        const ids = new Set<string>();
        const wait = finished(ctx, ids);
        const { task } = await ctx.tasks.create(auth, { ...step, file_id: file.id });
        ids.add(task.id);
        await wait;
      }
      return performance.now() - t0;
    };
    const parallel = async () => {
      const file = await upload();
      const ids = new Set<string>();
      const wait = finished(ctx, ids);
      const t0 = performance.now();
      for (const step of STEPS)
        ids.add((await ctx.tasks.create(auth, { ...step, file_id: file.id })).task.id);
      await wait;
      return performance.now() - t0;
    };

    // warm up sharp, the probe cache and the statement cache
    await parallel();
    await viaAutomation();
    const a: number[] = [];
    const s: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      a.push(await viaAutomation());
      s.push(await sequential());
      p.push(await parallel());
    }
    const A = stats(a);
    const S = stats(s);
    const P = stats(p);
    const row = (name: string, x: ReturnType<typeof stats>) =>
      `  ${name.padEnd(34)} ${fmt(x.median, 1).padStart(8)} ms  (${fmt(x.min, 1)}–${fmt(x.max, 1)})`;
    process.stdout.write(
      `three image steps (1920×1080 JPEG → 640 webp, 320 jpeg, 160 png), 2 slots, ${ROUNDS} rounds, medians:\n` +
        `${row('upload → automation outputs ready', A)}\n` +
        `${row('same three tasks one after another', S)}\n` +
        `${row('same three tasks all at once', P)}\n` +
        `  ratio automation / sequential: ${fmt(A.median / S.median, 2)}   automation / parallel: ${fmt(A.median / P.median, 2)}\n`,
    );
    await ctx.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
