// `npm run bench`: every benchmark, each against its raw baseline in the same run. Not pass/fail.
// BENCH_ONLY=api,upload,tasks,video-speed,hls,automations,image-memory,media-list picks some.
import { existsSync } from 'node:fs';
import { loadAverage, printTable } from './lib.js';

const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const want = (name: string) => only.length === 0 || only.includes(name);

const suites: [string, string, string][] = [
  ['api', './api.js', 'benchApi'],
  ['upload', './upload.js', 'benchUpload'],
  ['tasks', './tasks.js', 'benchTasks'],
  ['video-speed', './video-speed.js', 'benchVideoSpeed'],
  ['hls', './hls.js', 'benchHls'],
  ['automations', './automations.js', 'benchAutomations'],
  ['image-memory', './image-memory.js', 'benchImageMemory'],
  ['media-list', './media-list.js', 'benchMediaList'],
];

const summary: string[][] = [];
for (const [name, mod, fn] of suites) {
  if (!want(name)) continue;
  if (!existsSync(new URL(mod.replace('.js', '.ts'), import.meta.url))) continue;
  const m = (await import(mod)) as Record<string, () => Promise<unknown>>;
  if (typeof m[fn] !== 'function') continue;
  process.stdout.write(`\n== ${name} ==\n`);
  const result = (await m[fn]()) as { summary?: string[][] } | undefined;
  for (const row of result?.summary ?? []) summary.push(row);
}

// one table of every suite's headline numbers, each against its baseline from the same run
if (summary.length > 0) {
  process.stdout.write(`\n== summary (load average now ${loadAverage()}) ==`);
  printTable(['measurement', 'mediary', 'baseline', 'ratio'], summary);
}
