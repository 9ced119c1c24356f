// The video speed policy (issue 14): for every `speed`, the video runner's own ffmpeg arguments
// (planVideo, threads sized as the runner sizes them) on a real-looking clip (grain that changes every
// frame, a zoom that never stops, moving test pattern, 1080p30 H.264 + AAC like a camera file) →
// `height: 720` MP4, against the same encode written by hand with x264 superfast and veryfast.
// Reports wall time and CPU time as fractions of the clip's duration, file size, and SSIM against the
// source scaled to the output size (ffmpeg's ssim filter), so the trade-off is visible.
// Arms alternate within each round (the order rotates every round); medians with min–max.
//
// BENCH_SPEED_SECONDS (60: the issue's reference clip; 5 for a quick run), BENCH_SPEED_ROUNDS (5),
// BENCH_SPEEDS (fastest,fast,balanced,best).
// Run: BENCH_ONLY=video-speed npm run bench   or   node bin/run-ts.js bench/video-speed.ts
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { ffmpegEncoders, getMediaTools } from '../src/media/ffmpeg.js';
import { probeFile } from '../src/media/probe.js';
import { sniffFile } from '../src/media/sniff.js';
import { encoderThreads, planVideo, VIDEO_SPEEDS, type VideoSpeed } from '../src/media/video-args.js';
import { fmt } from './lib.js';

const SECONDS = Number(process.env.BENCH_SPEED_SECONDS ?? 60);
const ROUNDS = Number(process.env.BENCH_SPEED_ROUNDS ?? 5);
const SPEEDS = (process.env.BENCH_SPEEDS ?? VIDEO_SPEEDS.join(','))
  .split(',')
  .filter(Boolean) as VideoSpeed[];
const HEIGHT = 720;
/** bump when the clip's recipe changes, so that a cached clip of the old recipe is not reused */
const CLIP_RECIPE = 1;

interface Arm {
  name: string;
  /** what it runs, for the table */
  what: string;
  args: (inPath: string, outPath: string) => string[];
  /** writes a file worth measuring (the decode-only floor does not) */
  output: boolean;
}

interface Sample {
  wall: number;
  cpu: number;
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** CPU seconds of this process's waited-for children (cutime + cstime in /proc/self/stat). */
async function childrenCpu(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  // fields after the command name, which may contain spaces: state is field 3, cutime 16, cstime 17
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function ffmpeg(args: string[], collect = false): Promise<{ sample: Sample; stderr: string }> {
  const { ffmpegPath } = await getMediaTools();
  const cpu0 = await childrenCpu();
  const t0 = performance.now();
  const stderr = await new Promise<string>((resolve, reject) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-loglevel', collect ? 'info' : 'error', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`ffmpeg ${args.join(' ')} failed: ${err.slice(-2000)}`)),
    );
  });
  const wall = (performance.now() - t0) / 1000;
  return { sample: { wall, cpu: (await childrenCpu()) - cpu0 }, stderr };
}

/**
 * 1080p30 with what makes real footage expensive: film grain that changes every frame (noise
 * allf=t+u), motion everywhere (a continuous Mandelbrot zoom blended over testsrc2's moving pattern),
 * stored as a camera would (H.264 at ~20 Mbit/s + AAC). Cached between runs: it takes minutes to make.
 */
async function makeClip(seconds: number): Promise<string> {
  const dir = join(tmpdir(), 'mediary-bench-clips');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `grain-1080p-${seconds}s-r${CLIP_RECIPE}.mp4`);
  if (existsSync(path)) return path;
  process.stdout.write(`making the ${seconds} s 1080p clip (cached in ${dir}) …\n`);
  const tmp = `${path}.part.mp4`;
  await ffmpeg([
    '-y',
    ...['-f', 'lavfi', '-i', `mandelbrot=size=640x360:rate=30,trim=duration=${seconds},scale=1920:1080`],
    ...['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    '-filter_complex',
    '[0:v][1:v]blend=all_mode=average,noise=alls=10:allf=t+u,format=yuv420p[v]',
    ...['-map', '[v]', '-map', '2:a', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20'],
    ...['-c:a', 'aac', '-b:a', '128k', '-shortest', '-f', 'mp4', tmp],
  ]);
  await rename(tmp, path);
  return path;
}

/** SSIM (all planes) of `outPath` against the source scaled the same way; also in dB. */
async function ssim(outPath: string, srcPath: string, width: number): Promise<{ all: number; db: number }> {
  const { stderr } = await ffmpeg(
    [
      ...['-i', outPath, '-i', srcPath],
      '-lavfi',
      `[1:v]scale=${width}:${HEIGHT},format=yuv420p[ref];[0:v]format=yuv420p[out];[out][ref]ssim`,
      ...['-f', 'null', '-'],
    ],
    true,
  );
  const m = /SSIM .*All:([0-9.]+) \(([0-9.inf]+)\)/.exec(stderr);
  if (!m) throw new Error(`no SSIM in ffmpeg's output: ${stderr.slice(-500)}`);
  return { all: Number(m[1]), db: Number(m[2]) };
}

/** The encode a user would write by hand for the same job, at an x264 preset. */
function handWritten(preset: string): Arm {
  return {
    name: `ffmpeg ${preset}`,
    what: `x264 -preset ${preset} -crf 23, ffmpeg's threads`,
    output: true,
    args: (inPath, outPath) => [
      ...['-y', '-i', inPath, '-vf', `scale=-2:${HEIGHT}`],
      ...['-c:v', 'libx264', '-preset', preset, '-crf', '23', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart', '-f', 'mp4', outPath],
    ],
  };
}

export async function benchVideoSpeed(): Promise<{ result: Record<string, number>; summary: string[][] }> {
  const src = await makeClip(SECONDS);
  const sniffed = (await sniffFile(src))!;
  const probe = await probeFile(src, sniffed);
  const duration = probe.duration ?? SECONDS;
  const encoders = await ffmpegEncoders();
  const cores = availableParallelism();
  const slots = Math.max(1, loadConfig({}).workerConcurrency);
  const threads = encoderThreads(cores, slots);
  const dir = await mkdtemp(join(tmpdir(), 'mediary-bench-speed-'));
  const outWidth = planVideo(probe, { height: HEIGHT }, 'in', 'out', { encoders }).width ?? 1280;

  const arms: Arm[] = [
    {
      name: 'decode + scale',
      what: 'the floor: no encode (-f null)',
      output: false,
      args: (inPath) => ['-y', '-i', inPath, '-vf', `scale=-2:${HEIGHT}`, '-f', 'null', '-'],
    },
    ...SPEEDS.map((speed): Arm => {
      const plan = (inPath: string, outPath: string) =>
        planVideo(probe, { height: HEIGHT, speed }, inPath, outPath, { encoders, threads });
      const a = plan('in', 'out').args;
      return {
        name: `speed ${speed}`,
        what: `mediary: ${a[a.indexOf('-preset') + 1]} -crf ${a[a.indexOf('-crf') + 1]} -threads ${threads}`,
        output: true,
        args: (inPath, outPath) => plan(inPath, outPath).args,
      };
    }),
    handWritten('superfast'),
    handWritten('veryfast'),
  ];
  const out = (arm: Arm) => join(dir, `${arm.name.replace(/\W+/g, '-')}.mp4`);
  const samples = new Map<string, Sample[]>(arms.map((a) => [a.name, []]));
  const load0 = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  process.stdout.write(
    `${fmt(duration, 1)} s ${probe.width}×${probe.height} grainy clip → height ${HEIGHT}, ${ROUNDS} rounds, ` +
      `${cores} cores, ${slots} slots → ${threads} encoder threads; load average ${load0}\n`,
  );

  try {
    // one unmeasured decode puts the source in the page cache for every arm alike
    await ffmpeg(arms[0].args(src, ''));
    for (let round = 0; round < ROUNDS; round++) {
      // rotate the order so that no arm always runs first, or always after the slowest
      const order = arms.map((_, i) => arms[(i + round) % arms.length]);
      for (const arm of order) {
        const { sample } = await ffmpeg(arm.args(src, out(arm)));
        samples.get(arm.name)!.push(sample);
      }
      process.stdout.write(
        `round ${round + 1}/${ROUNDS}: ${order.map((a) => `${a.name} ${fmt(samples.get(a.name)!.at(-1)!.wall, 1)} s`).join(', ')}\n`,
      );
    }

    const rows: string[][] = [];
    const result: Record<string, number> = {};
    for (const arm of arms) {
      const s = samples.get(arm.name)!;
      const walls = s.map((x) => x.wall / duration);
      const cpus = s.map((x) => x.cpu / duration);
      let size = '–';
      let rate = '–';
      let quality = '–';
      if (arm.output) {
        const bytes = (await stat(out(arm))).size;
        const q = await ssim(out(arm), src, outWidth);
        size = `${fmt(bytes / 1e6, 1)} MB`;
        rate = `${fmt((bytes * 8) / duration / 1e6, 2)} Mbit/s`;
        quality = `${fmt(q.all, 4)} (${fmt(q.db, 2)} dB)`;
        result[`${arm.name} bytes`] = bytes;
        result[`${arm.name} ssim`] = q.all;
      }
      result[`${arm.name} wall`] = median(walls);
      result[`${arm.name} cpu`] = median(cpus);
      rows.push([
        arm.name,
        arm.what,
        `${fmt(median(walls), 3)}× (${fmt(Math.min(...walls), 3)}–${fmt(Math.max(...walls), 3)})`,
        `${fmt(median(cpus), 3)}×`,
        size,
        rate,
        quality,
      ]);
    }

    // the targets, as paired per-round ratios: load that drifts during a round hits both arms alike
    const pair = (a: string, b: string, what: keyof Sample) => {
      const x = samples.get(a);
      const y = samples.get(b);
      if (!x?.length || !y?.length) return undefined;
      const ratios = x.map((s, i) => s[what] / y[i][what]);
      return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
    };
    const targets: string[][] = [];
    const summary: string[][] = [];
    const ofDuration = (arm: string) => median(samples.get(arm)!.map((x) => x.wall / duration));
    for (const [speed, preset] of [
      ['fast', 'superfast'],
      ['balanced', 'veryfast'],
    ] as const) {
      const wall = pair(`speed ${speed}`, `ffmpeg ${preset}`, 'wall');
      const cpu = pair(`speed ${speed}`, `ffmpeg ${preset}`, 'cpu');
      if (!wall || !cpu) continue;
      result[`${speed}/${preset} wall`] = wall.median;
      result[`${speed}/${preset} cpu`] = cpu.median;
      targets.push([
        `speed ${speed} / ffmpeg ${preset}`,
        `${fmt(wall.median, 3)} (${fmt(wall.min, 3)}–${fmt(wall.max, 3)})`,
        `${fmt(cpu.median, 3)} (${fmt(cpu.min, 3)}–${fmt(cpu.max, 3)})`,
        wall.median <= 1.1 ? 'met (aim ≤ 1.10)' : 'NOT met (aim ≤ 1.10)',
      ]);
      summary.push([
        `video speed ${speed}, ${fmt(duration)} s 1080p → ${HEIGHT}p (× duration)`,
        `${fmt(ofDuration(`speed ${speed}`), 3)}×`,
        `x264 ${preset} ${fmt(ofDuration(`ffmpeg ${preset}`), 3)}×`,
        `${fmt(wall.median, 3)} (${fmt(wall.min, 3)}–${fmt(wall.max, 3)})× (aim ≤ 1.10)`,
      ]);
    }
    const load1 = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');

    const table = (head: string[], body: string[][]) => {
      const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
      const line = (r: string[]) => `${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`;
      process.stdout.write(`\n${line(head)}${line(widths.map((w) => '-'.repeat(w)))}`);
      for (const r of body) process.stdout.write(line(r));
    };
    table(
      [
        'arm',
        'what',
        `wall ÷ duration, median of ${ROUNDS} (min–max)`,
        'CPU ÷ duration',
        'size',
        'rate',
        'SSIM vs source',
      ],
      rows,
    );
    table(
      ['target: paired per-round ratios', 'wall, median (min–max)', 'CPU, median (min–max)', 'wall'],
      targets,
    );
    process.stdout.write(`\nload average: ${load0} at the start, ${load1} at the end\n`);
    return { result, summary };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchVideoSpeed();
