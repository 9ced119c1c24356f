// The task engine on the embedded default (SQLite, in-process worker):
// - create→processing latency: POST /tasks (inject) until the runner is called, p50/p99;
// - throughput of small image resizes with 1 and 2 engine slots, against sharp alone in the same run.
// Uses the image kind when its runner exists; otherwise a trivial kind, and says so.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Type } from '@sinclair/typebox';
import sharp from 'sharp';
import { type AppContext, createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import type { TaskKindDefinition } from '../src/runners/runner.js';
import { fmt } from './lib.js';

const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 300);
const RESIZE_TASKS = Number(process.env.BENCH_RESIZE_TASKS ?? 100);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function context(
  dataDir: string,
  kinds: TaskKindDefinition[],
  concurrency: number,
): Promise<AppContext> {
  const config = loadConfig({
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_INITIAL_API_KEY: 'mediary_bench_key_0123456789abcdef',
    MEDIARY_WORKER_CONCURRENCY: String(concurrency),
  });
  const ctx = await createContext(config, { kinds });
  await ctx.projects.bootstrap(config.initialApiKey);
  return ctx;
}

async function seedImage(ctx: AppContext, dataDir: string): Promise<{ fileId: string; path: string }> {
  const path = join(dataDir, 'seed.jpg');
  await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#336699' } })
    .composite([
      {
        input: Buffer.from(
          '<svg width="640" height="360"><circle cx="320" cy="180" r="150" fill="#f80"/></svg>',
        ),
      },
    ])
    .jpeg()
    .toFile(path);
  const copy = join(dataDir, 'seed-copy.jpg');
  await copyFile(path, copy);
  const auth = (await ctx.projects.authenticate(ctx.config.initialApiKey!))!;
  const file = await ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId });
  return { fileId: file.id, path };
}

async function latency(): Promise<{ p50: number; p99: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-tasks-'));
  const calledAt = new Map<string, number>();
  const probe: TaskKindDefinition = {
    kind: 'probe',
    accepts: ['image', 'video', 'audio'],
    options: Type.Object({}),
    description: 'bench: records when it starts',
    run: async (c) => {
      calledAt.set(c.task.id, performance.now());
      return { outputs: [] };
    },
  };
  const ctx = await context(dataDir, [probe], 2);
  try {
    const { fileId } = await seedImage(ctx, dataDir);
    const app = await buildApp(ctx, { logger: false });
    await ctx.startWorker();
    const key = ctx.config.initialApiKey!;
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_TASKS; i++) {
      const t0 = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: '/tasks',
        headers: { authorization: `Bearer ${key}`, 'accept-version': '2025-08-20' },
        payload: { kind: 'probe', file_id: fileId },
      });
      const id = (res.json() as { id: string }).id;
      while (!calledAt.has(id)) await new Promise((r) => setImmediate(r));
      samples.push(calledAt.get(id)! - t0);
    }
    await app.close();
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  } finally {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function resizeKind(): Promise<{ def: TaskKindDefinition; real: boolean }> {
  try {
    const mod = (await import('../src/runners/image.runner.js')) as { imageKind?: TaskKindDefinition };
    if (mod.imageKind) return { def: mod.imageKind, real: true };
  } catch {
    // the image runner is not there yet
  }
  const def: TaskKindDefinition = {
    kind: 'image',
    accepts: ['image'],
    options: Type.Object({}, { additionalProperties: true }),
    description: 'bench stand-in: writes a few bytes',
    run: async (c) => {
      const out = join(c.workDir, 'out.txt');
      await (await import('node:fs/promises')).writeFile(out, 'x');
      return {
        outputs: [{ localPath: out, object: 'source', kind: 'image', type: 'text/plain', ext: 'txt' }],
      };
    },
  };
  return { def, real: false };
}

async function throughput(def: TaskKindDefinition, slots: number): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-tasks-'));
  const ctx = await context(dataDir, [def], slots);
  try {
    const { fileId } = await seedImage(ctx, dataDir);
    const auth = (await ctx.projects.authenticate(ctx.config.initialApiKey!))!;
    for (let i = 0; i < RESIZE_TASKS; i++) {
      await ctx.tasks.create(auth, { kind: def.kind, file_id: fileId, width: 320, format: 'webp' });
    }
    const engine = ctx.createWorker({ concurrency: slots });
    const t0 = performance.now();
    const ran = await engine.runUntilIdle();
    const seconds = (performance.now() - t0) / 1000;
    await engine.stop();
    const failed = await ctx.store.db
      .selectFrom('tasks')
      .select('error')
      .where('status', '!=', 'completed')
      .execute();
    if (failed.length > 0) throw new Error(`${failed.length} tasks did not complete: ${failed[0].error}`);
    return ran / seconds;
  } finally {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The same resize with sharp alone, `parallel` at a time. */
async function sharpAlone(path: string, parallel: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < RESIZE_TASKS) {
        next++;
        await sharp(path).rotate().resize({ width: 320 }).webp({ quality: 80 }).toBuffer();
      }
    }),
  );
  return RESIZE_TASKS / ((performance.now() - t0) / 1000);
}

export async function benchTasks(): Promise<Record<string, number>> {
  const lat = await latency();
  process.stdout.write(
    `create→processing latency, embedded (SQLite, in-process worker), ${LATENCY_TASKS} tasks: ` +
      `p50 ${fmt(lat.p50, 2)} ms, p99 ${fmt(lat.p99, 2)} ms\n`,
  );
  const { def, real } = await resizeKind();
  const what = real ? 'image resizes 1280×720 JPEG → 320 px WebP' : 'trivial tasks (no image runner yet)';
  const one = await throughput(def, 1);
  const two = await throughput(def, 2);
  process.stdout.write(`${what}, ${RESIZE_TASKS} tasks: 1 slot ${fmt(one, 1)}/s, 2 slots ${fmt(two, 1)}/s\n`);
  const result: Record<string, number> = {
    latencyP50Ms: lat.p50,
    latencyP99Ms: lat.p99,
    tasksPerSec1: one,
    tasksPerSec2: two,
  };
  if (real) {
    const dir = await mkdtemp(join(tmpdir(), 'mediary-bench-sharp-'));
    const path = join(dir, 'in.jpg');
    await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#336699' } })
      .composite([
        {
          input: Buffer.from(
            '<svg width="640" height="360"><circle cx="320" cy="180" r="150" fill="#f80"/></svg>',
          ),
        },
      ])
      .jpeg()
      .toFile(path);
    const raw1 = await sharpAlone(path, 1);
    const raw2 = await sharpAlone(path, 2);
    await rm(dir, { recursive: true, force: true });
    process.stdout.write(
      `sharp alone: 1 at a time ${fmt(raw1, 1)}/s, 2 at a time ${fmt(raw2, 1)}/s; ` +
        `engine/raw ${fmt(one / raw1, 2)} (1), ${fmt(two / raw2, 2)} (2)\n`,
    );
    Object.assign(result, { sharpPerSec1: raw1, sharpPerSec2: raw2 });
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTasks();
