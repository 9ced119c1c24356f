// adaptive_video: one HLS ladder task (POST /tasks → completed, the package stored) against the identical
// ffmpeg command run directly (the runner's own plan for the same source), interleaved so load from
// elsewhere hits both alike. Wall times are also shown as a fraction of the clip's duration.
// BENCH_HLS_SECONDS (default 60) sets the 1080p30 clip's length, BENCH_HLS_RUNS (default 3) the rounds.
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import { getMediaTools } from '../src/media/ffmpeg.js';
import { probeFile } from '../src/media/probe.js';
import { sniffFile } from '../src/media/sniff.js';
import { planAdaptive, speedPolicyH264 } from '../src/runners/adaptive-video.runner.js';
import { fmt, spread } from './lib.js';

const SECONDS = Number(process.env.BENCH_HLS_SECONDS ?? 60);
const RUNS = Number(process.env.BENCH_HLS_RUNS ?? 3);
const KEY = 'mediary_bench_key_0123456789abcdef';

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function ffmpegTimed(args: string[]): Promise<number> {
  const { ffmpegPath } = await getMediaTools();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-loglevel', 'error', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed: ${err}`))));
  });
  return performance.now() - t0;
}

export async function benchHls(): Promise<{
  task: number;
  direct: number;
  ratio: number;
  summary: string[][];
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-hls-'));
  const config = loadConfig({
    // the automatic poster of each new media would be work the raw baseline does not do
    MEDIARY_AUTO_POSTER: 'false',
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_INITIAL_API_KEY: KEY,
    MEDIARY_WORKER_CONCURRENCY: '1',
  });
  const ctx = await createContext(config);
  await ctx.projects.bootstrap(config.initialApiKey);
  try {
    const inPath = join(dataDir, 'in.mp4');
    const { ffmpegPath } = await getMediaTools();
    const gen = spawnSync(
      ffmpegPath,
      [
        ...['-hide_banner', '-loglevel', 'error', '-y'],
        ...['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${SECONDS}`],
        ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`],
        ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
        inPath,
      ],
      { stdio: 'pipe' },
    );
    if (gen.status !== 0) throw new Error(`could not make the source: ${gen.stderr}`);
    const probe = await probeFile(inPath, (await sniffFile(inPath))!);
    const copy = `${inPath}.ingest`;
    await copyFile(inPath, copy);
    const auth = (await ctx.projects.authenticate(KEY))!;
    const fileId = (await ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId })).id;
    const app = await buildApp(ctx, { logger: false });
    await ctx.startWorker();

    const runTask = async (): Promise<number> => {
      let id: string | undefined;
      let resolveDone: (s: string) => void = () => {};
      const done = new Promise<string>((r) => (resolveDone = r));
      const off = ctx.signals.on('tasks', (s) => {
        if (s.type === 'finished' && s.id === id) resolveDone(s.status);
      });
      const t0 = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: '/tasks',
        headers: { authorization: `Bearer ${KEY}`, 'accept-version': '2025-08-20' },
        payload: { kind: 'adaptive_video', file_id: fileId },
      });
      id = (res.json() as { id: string }).id;
      const status = await done;
      off();
      if (status !== 'completed') throw new Error(`task ${id} ${status}`);
      return performance.now() - t0;
    };
    const runDirect = async (i: number): Promise<number> => {
      const out = join(dataDir, `direct-${i}`);
      await mkdir(out, { recursive: true });
      // the runner's plan: same ladder, same encoder settings, same arguments
      const plan = planAdaptive(probe, {}, inPath, out, speedPolicyH264(undefined, 1));
      const ms = await ffmpegTimed(plan.args);
      await rm(out, { recursive: true, force: true });
      return ms;
    };

    const tasks: number[] = [];
    const directs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2) {
        tasks.push(await runTask());
        directs.push(await runDirect(i));
      } else {
        directs.push(await runDirect(i));
        tasks.push(await runTask());
      }
    }
    await app.close();
    const task = median(tasks);
    const direct = median(directs);
    const ladder = planAdaptive(probe, {}, inPath, dataDir, speedPolicyH264(undefined, 1)).variants;
    process.stdout.write(
      `${SECONDS}-s 1080p30 → ${ladder.map((v) => v.rendition.name).join('/')} + audio, ${RUNS} rounds (median)\n` +
        `  adaptive_video task   ${fmt(task)} ms  (${fmt(task / 1000 / SECONDS, 2)}× the duration)\n` +
        `  ffmpeg alone          ${fmt(direct)} ms  (${fmt(direct / 1000 / SECONDS, 2)}× the duration)\n` +
        `  task / ffmpeg         ${fmt(task / direct, 3)}×   (each round: ${tasks.map((t, i) => fmt(t / directs[i], 3)).join(', ')})\n`,
    );
    const ratios = tasks.map((t, i) => t / directs[i]);
    return {
      task,
      direct,
      ratio: task / direct,
      summary: [
        [
          `HLS ladder (${ladder.length} renditions), ${SECONDS} s 1080p`,
          `${fmt(task)} ms`,
          `ffmpeg alone ${fmt(direct)} ms`,
          `${spread(ratios, 3)}× (rounds ${RUNS})`,
        ],
      ],
    };
  } finally {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
