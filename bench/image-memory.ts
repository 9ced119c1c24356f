// Peak memory of image tasks on a decompression bomb (hostile review 5.7): an 8000×8000 PNG of one flat
// colour compresses to ~190 KB but decodes to 192 MB of RGB. One child process ingests it into an
// embedded setup (SQLite); a second, fresh child opens the same data dir and runs two image tasks at
// once (worker with 2 slots), then reports its peak RSS (getrusage maxrss) and its RSS before the tasks.
// The baseline is the same pair of children on a 1280×720 JPEG. BENCH_IMAGE_MEMORY_RUNS changes the number of children per arm (default 3).
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { fmt, median, type SuiteResult } from './lib.js';

const RUNS = Number(process.env.BENCH_IMAGE_MEMORY_RUNS ?? 3);
const KEY = 'mediary_bench_key_0123456789abcdef';
// a full-size conversion (WebP encodes the whole picture at once) and a thumbnail; with
// BENCH_IMAGE_MEMORY_PAIR=resize, two resizes (1024 px WebP, 320 px JPEG)
const TASKS =
  process.env.BENCH_IMAGE_MEMORY_PAIR === 'resize'
    ? [
        { kind: 'image', width: 1024, format: 'webp' },
        { kind: 'image', width: 320, format: 'jpeg' },
      ]
    : [
        { kind: 'image', format: 'webp' },
        { kind: 'image', width: 320, format: 'jpeg' },
      ];

interface ChildResult {
  rssBeforeMb: number;
  peakRssMb: number;
  statuses: string[];
}

async function openContext(dataDir: string) {
  const { createContext } = await import('../src/app-context.js');
  const { loadConfig } = await import('../src/config.js');
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
  const auth = (await ctx.projects.authenticate(KEY))!;
  return { ctx, auth };
}

/** Child 1: ingests the input (its own decode check is not what is measured). Prints the file id. */
async function ingestChild(dataDir: string, input: string): Promise<void> {
  const { ctx, auth } = await openContext(dataDir);
  const copy = join(dataDir, 'input');
  await copyFile(input, copy);
  const file = await ctx.ingest.ingestLocalFile(auth, copy, { createdBy: auth.keyId });
  await ctx.close();
  process.stdout.write(`${JSON.stringify({ id: file.id })}\n`);
}

/** Child 2, a fresh process: the two image tasks at once in a worker with 2 slots; peak RSS. */
async function tasksChild(dataDir: string, fileId: string): Promise<void> {
  const { ctx, auth } = await openContext(dataDir);
  const rssBefore = process.memoryUsage().rss;
  const ids: string[] = [];
  for (const t of TASKS) {
    const { kind, ...options } = t;
    ids.push((await ctx.tasks.create(auth, { kind, file_id: fileId, options })).task.id);
  }
  const engine = ctx.createWorker({ concurrency: 2 });
  await engine.runUntilIdle();
  const statuses: string[] = [];
  for (const id of ids) {
    const row = await ctx.repos.tasks.getById(id);
    statuses.push(row?.status === 'completed' ? 'completed' : `${row?.status}: ${row?.error}`);
  }
  await engine.stop();
  await ctx.close();
  const result: ChildResult = {
    rssBeforeMb: rssBefore / 2 ** 20,
    // maxRSS is in KiB
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    statuses,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/run-ts.js', 'bench/image-memory.ts', ...args], {
      cwd: new URL('..', import.meta.url).pathname,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c) => {
      out += c;
    });
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function measure(input: string): Promise<ChildResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-mem-'));
  try {
    const { id } = await runChild<{ id: string }>(['--ingest', dataDir, input]);
    return await runChild<ChildResult>(['--tasks', dataDir, id]);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function benchImageMemory(): Promise<SuiteResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mediary-bench-bomb-'));
  try {
    const bomb = join(dir, 'bomb.png');
    await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#20B075' } })
      .png({ compressionLevel: 9 })
      .toFile(bomb);
    const photo = join(dir, 'photo.jpg');
    await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#336699' } })
      .jpeg()
      .toFile(photo);
    process.stdout.write(
      `8000×8000 PNG: ${fmt((await stat(bomb)).size / 1024)} KB; ${RUNS} children per arm\n`,
    );
    const arms: [string, string][] = [
      ['8000×8000 PNG', bomb],
      ['1280×720 JPEG', photo],
    ];
    const peaks: Record<string, number> = {};
    for (const [name, path] of arms) {
      const results: ChildResult[] = [];
      for (let i = 0; i < RUNS; i++) results.push(await measure(path));
      const bad = results.flatMap((r) => r.statuses).filter((s) => s !== 'completed');
      peaks[name] = median(results.map((r) => r.peakRssMb));
      process.stdout.write(
        `${name}: RSS before the tasks ${fmt(median(results.map((r) => r.rssBeforeMb)))} MB, peak ${results
          .map((r) => fmt(r.peakRssMb))
          .join(
            ' / ',
          )} MB (median ${fmt(peaks[name])})${bad.length ? `; NOT completed: ${bad.join('; ')}` : ''}\n`,
      );
    }
    const [bombName, photoName] = arms.map((a) => a[0]);
    return {
      peaks,
      summary: [
        [
          'image-memory: peak RSS, 2 image tasks (MB)',
          fmt(peaks[bombName]),
          fmt(peaks[photoName]),
          fmt(peaks[bombName] / peaks[photoName], 2),
        ],
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--ingest') {
  await ingestChild(process.argv[3], process.argv[4]);
} else if (process.argv[2] === '--tasks') {
  await tasksChild(process.argv[3], process.argv[4]);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await benchImageMemory();
}
