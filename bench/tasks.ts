// The task engine on the embedded default (SQLite, in-process worker), each number against its raw
// baseline in the same run:
// - one video task (POST /tasks → completed) against the same ffmpeg command run directly;
// - one image task (POST /tasks → completed) against the same sharp resize run directly;
// - create→processing latency: POST /tasks (inject) until the runner is called, p50/p99;
// - throughput of small image resizes with 1 and 2 engine slots, against sharp alone.
// BENCH_VIDEO_RUNS, BENCH_IMAGE_RUNS, BENCH_LATENCY_TASKS, BENCH_RESIZE_TASKS and BENCH_THROUGHPUT_ROUNDS change the counts.
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Type } from '@sinclair/typebox';
import sharp from 'sharp';
import { type AppContext, createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { ffmpegEncoders, getMediaTools } from '../src/media/ffmpeg.js';
import { configureSharp } from '../src/media/image.js';
import { probeFile } from '../src/media/probe.js';
import { sniffFile } from '../src/media/sniff.js';
import { planVideo } from '../src/media/video-args.js';
import { imageKind } from '../src/runners/image.runner.js';
import type { TaskKindDefinition } from '../src/runners/runner.js';
import { fmt, loadAverage, mainThreadCpuMs, median, type SuiteResult, spread } from './lib.js';

const VIDEO_RUNS = Number(process.env.BENCH_VIDEO_RUNS ?? 9);
const IMAGE_RUNS = Number(process.env.BENCH_IMAGE_RUNS ?? 21);
const LATENCY_TASKS = Number(process.env.BENCH_LATENCY_TASKS ?? 300);
const RESIZE_TASKS = Number(process.env.BENCH_RESIZE_TASKS ?? 200);
const THROUGHPUT_ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 5);
// the 12-MP photo of issue 14's table: one task against sharp, and a queue of them on 2 slots
const PHOTO_RUNS = Number(process.env.BENCH_PHOTO_RUNS ?? 9);
const PHOTO_TASKS = Number(process.env.BENCH_PHOTO_TASKS ?? 40);
const PHOTO_ROUNDS = Number(process.env.BENCH_PHOTO_ROUNDS ?? 3);

const VIDEO_SECONDS = 12;
const VIDEO_OPTIONS = { width: 640 };
const IMAGE_OPTIONS = { width: 320, format: 'webp' };
const KEY = 'mediary_bench_key_0123456789abcdef';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function context(
  dataDir: string,
  kinds: TaskKindDefinition[],
  concurrency: number,
): Promise<AppContext> {
  const config = loadConfig({
    // the automatic poster of each new media would be work the raw baseline does not do
    MEDIARY_AUTO_POSTER: 'false',
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_INITIAL_API_KEY: KEY,
    MEDIARY_WORKER_CONCURRENCY: String(concurrency),
  });
  const ctx = await createContext(config, { kinds });
  // as `mediary start` does: WAL checkpoints on their own thread (BENCH_INLINE_CHECKPOINTS=1 leaves them
  // to SQLite's commits, for comparison)
  if (!process.env.BENCH_INLINE_CHECKPOINTS) ctx.store.startCheckpointer?.();
  await ctx.projects.bootstrap(config.initialApiKey);
  return ctx;
}

/** 1280×720 JPEG: a flat background and a circle, the "small image" of the throughput runs. */
async function smallJpeg(path: string): Promise<void> {
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
}

/**
 * A 12-MP (4000×3000) JPEG that decodes like a photo: sensor-like noise over gradients and shapes at
 * quality 90 (a flat picture would decode far faster than any camera's).
 */
export async function photoJpeg(path: string): Promise<void> {
  const svg = Buffer.from(
    `<svg width="4000" height="3000" xmlns="http://www.w3.org/2000/svg">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="#2a5d8f"/><stop offset="0.5" stop-color="#e0b36a"/><stop offset="1" stop-color="#3b2f2a"/>
      </linearGradient></defs>
      <rect width="4000" height="3000" fill="url(#g)" opacity="0.75"/>
      <circle cx="1300" cy="1200" r="700" fill="#c4462f" opacity="0.6"/>
      <rect x="2300" y="900" width="1200" height="1600" fill="#1f6b3a" opacity="0.5"/>
    </svg>`,
  );
  await sharp({
    create: {
      width: 4000,
      height: 3000,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 24 },
    },
  })
    .composite([{ input: svg, blend: 'overlay' }])
    .jpeg({ quality: 90 })
    .toFile(path);
}

async function ffmpegSync(args: string[]): Promise<void> {
  const { ffmpegPath } = await getMediaTools();
  const res = spawnSync(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'pipe' });
  if (res.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${res.stderr}`);
}

/** Ingests a copy of `path` (ingest consumes its input) and returns the new file's id. */
async function ingest(ctx: AppContext, path: string): Promise<string> {
  const copy = `${path}.ingest`;
  await copyFile(path, copy);
  const auth = (await ctx.projects.authenticate(KEY))!;
  return (await ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId })).id;
}

/** POST /tasks through the HTTP layer, then the wall time until the engine reports it completed. */
async function timeTask(
  ctx: AppContext,
  app: Awaited<ReturnType<typeof buildApp>>,
  body: Record<string, unknown>,
): Promise<number> {
  let id: string | undefined;
  let early: { id: string; status: string } | undefined;
  let resolveDone: (status: string) => void = () => {};
  const done = new Promise<string>((r) => (resolveDone = r));
  const off = ctx.signals.on('tasks', (s) => {
    if (s.type !== 'finished') return;
    if (id === undefined) early = s;
    else if (s.id === id) resolveDone(s.status);
  });
  try {
    const t0 = performance.now();
    const res = await app.inject({
      method: 'POST',
      url: '/tasks',
      headers: { authorization: `Bearer ${KEY}`, 'accept-version': '2025-08-20' },
      payload: body,
    });
    if (res.statusCode >= 300) throw new Error(`POST /tasks answered ${res.statusCode}: ${res.body}`);
    id = (res.json() as { id: string }).id;
    if (early?.id === id) resolveDone(early.status);
    const status = await done;
    const ms = performance.now() - t0;
    if (status !== 'completed') {
      const row = await ctx.repos.tasks.getById(id);
      throw new Error(`task ${id} ${status}: ${row?.error}`);
    }
    return ms;
  } finally {
    off();
  }
}

interface Comparison {
  /** median ms of the task, create → completed */
  task: number;
  /** median ms of the same work done directly */
  direct: number;
  /** median of the per-round differences (task − direct, measured side by side): the overhead */
  extra: number;
  /** task ÷ direct, per round */
  ratios: number[];
  runs: number;
}

/**
 * One task at a time through POST /tasks against the same work done directly, interleaved so that
 * load from elsewhere on the machine hits both alike; one unmeasured round first warms both paths.
 */
async function compare(
  what: 'video' | 'image',
  runs: number,
  /** does the work directly and returns the ms of the part that is the baseline */
  direct: (inPath: string, outPath: string) => Promise<number>,
  /** writes the image input (default: a 1920×1080 test pattern) */
  makeImage?: (path: string) => Promise<void>,
): Promise<Comparison> {
  const dataDir = await mkdtemp(join(tmpdir(), `mediary-bench-${what}-`));
  const ctx = await context(dataDir, [], 1);
  try {
    const inPath = join(dataDir, what === 'video' ? 'in.mp4' : 'in.jpg');
    if (what === 'video') {
      await ffmpegSync([
        ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${VIDEO_SECONDS}`],
        ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${VIDEO_SECONDS}`],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
        inPath,
      ]);
    } else if (makeImage) {
      await makeImage(inPath);
    } else {
      // a detailed picture (test pattern), not a flat one: decode cost like a photo's
      await ffmpegSync([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=1920x1080',
        '-frames:v',
        '1',
        '-q:v',
        '3',
        inPath,
      ]);
    }
    const fileId = await ingest(ctx, inPath);
    const app = await buildApp(ctx, { logger: false });
    await ctx.startWorker();
    const body = { kind: what, file_id: fileId, ...(what === 'video' ? VIDEO_OPTIONS : IMAGE_OPTIONS) };
    const tasks: number[] = [];
    const directs: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const out = join(dataDir, `direct-${i}.${what === 'video' ? 'mp4' : 'webp'}`);
      const runDirect = async () => {
        const ms = await direct(inPath, out);
        await rm(out, { force: true });
        return ms;
      };
      // alternate which goes first, so neither always runs right after the other
      let d: number;
      let t: number;
      if (i % 2) {
        t = await timeTask(ctx, app, body);
        d = await runDirect();
      } else {
        d = await runDirect();
        t = await timeTask(ctx, app, body);
      }
      if (i === 0) continue;
      directs.push(d);
      tasks.push(t);
    }
    await app.close();
    const extra = median(tasks.map((t, i) => t - directs[i]));
    const ratios = tasks.map((t, i) => t / directs[i]);
    return { task: median(tasks), direct: median(directs), extra, ratios, runs };
  } finally {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The video runner's own plan for the input (planVideo with the task's options), run as plain ffmpeg.
 * Only the ffmpeg process is timed: the probe and the plan are the task's overhead, not the baseline's.
 */
async function ffmpegDirect(inPath: string, outPath: string): Promise<number> {
  const sniffed = (await sniffFile(inPath))!;
  const probe = await probeFile(inPath, sniffed);
  const plan = planVideo(probe, VIDEO_OPTIONS, inPath, outPath, { encoders: await ffmpegEncoders() });
  const { ffmpegPath } = await getMediaTools();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-loglevel', 'error', ...plan.args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed: ${err}`))));
  });
  return performance.now() - t0;
}

function videoVsFfmpeg(): Promise<Comparison> {
  return compare('video', VIDEO_RUNS, ffmpegDirect);
}

function sharpResize(path: string) {
  return sharp(path).rotate().resize({ width: 320 }).webp({ quality: 80 });
}

function imageVsSharp(runs = IMAGE_RUNS, makeImage?: (path: string) => Promise<void>): Promise<Comparison> {
  return compare(
    'image',
    runs,
    async (inPath, outPath) => {
      const t0 = performance.now();
      await sharpResize(inPath).toFile(outPath);
      return performance.now() - t0;
    },
    makeImage,
  );
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
    const seed = join(dataDir, 'seed.jpg');
    await smallJpeg(seed);
    const fileId = await ingest(ctx, seed);
    const app = await buildApp(ctx, { logger: false });
    await ctx.startWorker();
    const samples: number[] = [];
    // the first tasks warm up the HTTP layer and the engine; they are not counted
    const warmup = 20;
    for (let i = -warmup; i < LATENCY_TASKS; i++) {
      const t0 = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: '/tasks',
        headers: { authorization: `Bearer ${KEY}`, 'accept-version': '2025-08-20' },
        payload: { kind: 'probe', file_id: fileId },
      });
      const id = (res.json() as { id: string }).id;
      while (!calledAt.has(id)) await new Promise((r) => setImmediate(r));
      if (i >= 0) samples.push(calledAt.get(id)! - t0);
    }
    await app.close();
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  } finally {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface Rate {
  /** tasks (or resizes) per second */
  rate: number;
  /** CPU of this process (all threads: JS, libvips, SQLite) per task, ms */
  cpuMs: number;
  /** CPU of the main thread alone per task, ms: the engine's bookkeeping plus sharp's synchronous calls */
  mainMs: number;
}

async function throughput(
  def: TaskKindDefinition,
  slots: number,
  /** the input every task resizes (copied in and ingested) */
  input: string,
  count = RESIZE_TASKS,
): Promise<Rate> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-tasks-'));
  const ctx = await context(dataDir, [def], slots);
  try {
    const fileId = await ingest(ctx, input);
    const auth = (await ctx.projects.authenticate(KEY))!;
    for (let i = 0; i < count; i++) {
      await ctx.tasks.create(auth, { kind: def.kind, file_id: fileId, ...IMAGE_OPTIONS });
    }
    const engine = ctx.createWorker({ concurrency: slots });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuMs();
    const ran = await engine.runUntilIdle();
    const cpu = process.cpuUsage(cpu0);
    const mainMs = mainThreadCpuMs() - main0;
    const seconds = (performance.now() - t0) / 1000;
    await engine.stop();
    const failed = await ctx.store.db
      .selectFrom('tasks')
      .select('error')
      .where('status', '!=', 'completed')
      .execute();
    if (failed.length > 0) throw new Error(`${failed.length} tasks did not complete: ${failed[0].error}`);
    return { rate: ran / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / ran, mainMs: mainMs / ran };
  } finally {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The same resize with sharp alone, `parallel` at a time, written to files as the runner does. */
async function sharpAlone(path: string, dir: string, parallel: number, count = RESIZE_TASKS): Promise<Rate> {
  // libvips threads per image as the engine sets them for as many slots (createContext → configureSharp):
  // the setting is process-wide, and would otherwise be whatever the last engine run left
  configureSharp({ slots: parallel });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        await sharpResize(path).toFile(join(dir, `out-${i}.webp`));
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(Array.from({ length: count }, (_, i) => rm(join(dir, `out-${i}.webp`), { force: true })));
  return {
    rate: count / ((performance.now() - t0) / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000 / count,
    mainMs: (mainThreadCpuMs() - main0) / count,
  };
}

/** Both runs of a round, side by side: the first goes first in even rounds, the second in odd ones. */
async function inTurn(round: number, first: () => Promise<unknown>, second: () => Promise<unknown>) {
  if (round % 2) {
    await second();
    await first();
  } else {
    await first();
    await second();
  }
}

/** The overhead as the median paired difference, in ms and as a share of the direct time. */
const overhead = (c: Comparison, digits: number) =>
  `${c.extra >= 0 ? '+' : ''}${fmt(c.extra, digits)} ms = ${c.extra >= 0 ? '+' : ''}${fmt((100 * c.extra) / c.direct, 1)}%`;

export async function benchTasks(): Promise<SuiteResult> {
  // the same process-wide sharp settings for the engine and for the baselines (no operation cache)
  configureSharp();
  const video = await videoVsFfmpeg();
  process.stdout.write(
    `video task (${VIDEO_SECONDS} s 1280×720 H.264 → 640 px H.264/AAC MP4), median of ${video.runs}: ` +
      `task ${fmt(video.task)} ms, ffmpeg direct ${fmt(video.direct)} ms\n`,
  );
  const image = await imageVsSharp();
  process.stdout.write(
    `image task (1920×1080 JPEG → 320 px WebP), median of ${image.runs}: ` +
      `task ${fmt(image.task, 2)} ms, sharp direct ${fmt(image.direct, 2)} ms\n`,
  );
  const lat = await latency();
  process.stdout.write(
    `create→processing latency, ${LATENCY_TASKS} tasks: p50 ${fmt(lat.p50, 2)} ms, p99 ${fmt(lat.p99, 2)} ms\n`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'mediary-bench-sharp-'));
  const path = join(dir, 'in.jpg');
  await smallJpeg(path);
  await sharpAlone(path, dir, 1); // warm-up
  // rounds of engine and sharp side by side (inTurn: which goes first alternates), so that load from elsewhere
  // drifts less between them; medians with min–max, and the ratios as medians of per-round ratios
  const tp: Record<string, Rate[]> = { one: [], raw1: [], two: [], raw2: [] };
  for (let r = 0; r < THROUGHPUT_ROUNDS; r++) {
    for (const slots of [1, 2]) {
      await inTurn(
        r,
        async () => tp[slots === 1 ? 'one' : 'two'].push(await throughput(imageKind, slots, path)),
        async () => tp[slots === 1 ? 'raw1' : 'raw2'].push(await sharpAlone(path, dir, slots)),
      );
    }
  }
  await rm(dir, { recursive: true, force: true });
  const rates = (k: string) => tp[k].map((x) => x.rate);
  const cpus = (k: string) => tp[k].map((x) => x.cpuMs);
  const mains = (k: string) => tp[k].map((x) => x.mainMs);
  const ratio = (a: string, b: string, f: (x: Rate) => number) => tp[a].map((x, i) => f(x) / f(tp[b][i]));
  const one = median(rates('one'));
  const two = median(rates('two'));
  const raw1 = median(rates('raw1'));
  const raw2 = median(rates('raw2'));
  const ratio1 = ratio('one', 'raw1', (x) => x.rate);
  const ratio2 = ratio('two', 'raw2', (x) => x.rate);
  const cpuRatio2 = ratio('two', 'raw2', (x) => x.cpuMs);
  process.stdout.write(
    `1280×720 JPEG → 320 px WebP, ${RESIZE_TASKS} tasks, ${THROUGHPUT_ROUNDS} rounds (load average ${loadAverage()}):\n` +
      `  1 slot  ${spread(rates('one'), 1, '/s')}, CPU ${spread(cpus('one'), 2, ' ms')}/task; ` +
      `sharp alone ${spread(rates('raw1'), 1, '/s')}, CPU ${spread(cpus('raw1'), 2, ' ms')}/resize\n` +
      `  2 slots ${spread(rates('two'), 1, '/s')}, CPU ${spread(cpus('two'), 2, ' ms')}/task; ` +
      `sharp 2 at a time ${spread(rates('raw2'), 1, '/s')}, CPU ${spread(cpus('raw2'), 2, ' ms')}/resize\n` +
      `  main thread alone (event loop: bookkeeping, SQLite, sharp's synchronous calls), 2 slots: ` +
      `${spread(mains('two'), 2, ' ms')}/task; sharp 2 at a time ${spread(mains('raw2'), 2, ' ms')}/resize\n` +
      `  ratios (per round): 1 slot ${spread(ratio1, 2)}, 2 slots ${spread(ratio2, 2)}, CPU per task (2 slots) ${spread(cpuRatio2, 2)}\n`,
  );

  // issue 14's 12-MP photo: one task against sharp, then a queue of them on 2 slots against sharp 2 at a time
  const photoDir = await mkdtemp(join(tmpdir(), 'mediary-bench-photo-'));
  const photo = join(photoDir, 'photo.jpg');
  await photoJpeg(photo);
  const photoOne = await imageVsSharp(PHOTO_RUNS, (p) => copyFile(photo, p));
  const pq: Record<'engine' | 'sharp', Rate[]> = { engine: [], sharp: [] };
  await sharpAlone(photo, photoDir, 2, 4); // warm-up
  for (let r = 0; r < PHOTO_ROUNDS; r++) {
    await inTurn(
      r,
      async () => pq.engine.push(await throughput(imageKind, 2, photo, PHOTO_TASKS)),
      async () => pq.sharp.push(await sharpAlone(photo, photoDir, 2, PHOTO_TASKS)),
    );
  }
  await rm(photoDir, { recursive: true, force: true });
  const photoRatio = pq.engine.map((x, i) => x.rate / pq.sharp[i].rate);
  const photoRate = median(pq.engine.map((x) => x.rate));
  const photoSharpRate = median(pq.sharp.map((x) => x.rate));
  process.stdout.write(
    `12-MP JPEG (4000×3000, photo-like) → 320 px WebP (load average ${loadAverage()}):\n` +
      `  one task, median of ${photoOne.runs}: ${fmt(photoOne.task, 1)} ms, sharp direct ${fmt(photoOne.direct, 1)} ms; ` +
      `task ÷ sharp per round ${spread(photoOne.ratios, 3)} (aim ≤ 1.10)\n` +
      `  ${PHOTO_TASKS} tasks queued, 2 slots, ${PHOTO_ROUNDS} rounds: ${spread(
        pq.engine.map((x) => x.rate),
        2,
        '/s',
      )}; sharp 2 at a time ${spread(
        pq.sharp.map((x) => x.rate),
        2,
        '/s',
      )}; ratio ${spread(photoRatio, 3)} (aim ≥ 0.95)\n`,
  );

  const rows: [string, string, string, string][] = [
    [
      `video task, ${VIDEO_SECONDS} s 720p → 640 px (median of ${video.runs})`,
      `${fmt(video.task)} ms`,
      `ffmpeg direct ${fmt(video.direct)} ms`,
      `${overhead(video, 0)} (aim < 5%)`,
    ],
    [
      `image task, 1080p JPEG → 320 px WebP (median of ${image.runs})`,
      `${fmt(image.task, 1)} ms`,
      `sharp direct ${fmt(image.direct, 1)} ms`,
      `${overhead(image, 1)} (aim < 15%)`,
    ],
    [`create→processing latency p50 (${LATENCY_TASKS} tasks)`, `${fmt(lat.p50, 2)} ms`, '–', '–'],
    [`create→processing latency p99 (${LATENCY_TASKS} tasks)`, `${fmt(lat.p99, 2)} ms`, '–', '–'],
    [
      `720p JPEG → 320 px WebP, 1 worker (${RESIZE_TASKS} tasks)`,
      `${fmt(one, 1)} tasks/s`,
      `sharp alone ${fmt(raw1, 1)}/s`,
      `${spread(ratio1, 2)}×`,
    ],
    [
      `720p JPEG → 320 px WebP, 2 workers (${RESIZE_TASKS} tasks)`,
      `${fmt(two, 1)} tasks/s`,
      `sharp 2 at a time ${fmt(raw2, 1)}/s`,
      `${spread(ratio2, 2)}× (aim ≥ 0.9)`,
    ],
    [
      `12-MP JPEG → 320 px WebP, one task (median of ${photoOne.runs})`,
      `${fmt(photoOne.task, 1)} ms`,
      `sharp direct ${fmt(photoOne.direct, 1)} ms`,
      `${spread(photoOne.ratios, 3)}× (aim ≤ 1.10)`,
    ],
    [
      `12-MP JPEG → 320 px WebP, 2 workers (${PHOTO_TASKS} tasks)`,
      `${fmt(photoRate, 2)} tasks/s`,
      `sharp 2 at a time ${fmt(photoSharpRate, 2)}/s`,
      `${spread(photoRatio, 3)}× (aim ≥ 0.95)`,
    ],
  ];
  const head: [string, string, string, string] = ['measurement', 'mediary', 'baseline', 'ratio / overhead'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`;
  process.stdout.write(`\n${line(head)}${line(widths.map((w) => '-'.repeat(w)))}`);
  for (const r of rows) process.stdout.write(line(r));

  return {
    videoTaskMs: video.task,
    videoFfmpegMs: video.direct,
    videoOverheadMs: video.extra,
    imageTaskMs: image.task,
    imageSharpMs: image.direct,
    imageOverheadMs: image.extra,
    latencyP50Ms: lat.p50,
    latencyP99Ms: lat.p99,
    summary: [
      [
        `image task vs sharp (median of ${image.runs})`,
        `${fmt(image.task, 1)} ms`,
        `${fmt(image.direct, 1)} ms`,
        overhead(image, 1),
      ],
      [
        `${RESIZE_TASKS} small resizes, 2 slots (${THROUGHPUT_ROUNDS} rounds)`,
        `${fmt(two, 1)}/s`,
        `sharp ${fmt(raw2, 1)}/s`,
        `${spread(ratio2, 2)}× (aim ≥ 0.9)`,
      ],
      [
        `… CPU per task, 2 slots`,
        `${fmt(median(cpus('two')), 2)} ms`,
        `sharp ${fmt(median(cpus('raw2')), 2)} ms`,
        `${spread(cpuRatio2, 2)}×`,
      ],
      [
        `… of it on the main thread`,
        `${fmt(median(mains('two')), 2)} ms`,
        `sharp ${fmt(median(mains('raw2')), 2)} ms`,
        `+${fmt(median(mains('two')) - median(mains('raw2')), 2)} ms: the engine's own work`,
      ],
      [
        `12-MP photo task vs sharp (median of ${photoOne.runs})`,
        `${fmt(photoOne.task, 1)} ms`,
        `${fmt(photoOne.direct, 1)} ms`,
        `${spread(photoOne.ratios, 3)}× (aim ≤ 1.10)`,
      ],
      [
        `${PHOTO_TASKS} 12-MP photos, 2 slots (${PHOTO_ROUNDS} rounds)`,
        `${fmt(photoRate, 2)}/s`,
        `sharp ${fmt(photoSharpRate, 2)}/s`,
        `${spread(photoRatio, 3)}× (aim ≥ 0.95)`,
      ],
    ],
    tasksPerSec1: one,
    tasksPerSec2: two,
    sharpPerSec1: raw1,
    sharpPerSec2: raw2,
    photoTaskMs: photoOne.task,
    photoSharpMs: photoOne.direct,
    photoTaskRatio: median(photoOne.ratios),
    photoTasksPerSec2: photoRate,
    photoSharpPerSec2: photoSharpRate,
    photoThroughputRatio: median(photoRatio),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await benchTasks();
