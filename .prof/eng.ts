import { performance } from 'node:perf_hooks';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import sharp from 'sharp';
import { createContext } from '../src/app-context.ts';
import { loadConfig } from '../src/config.ts';
import type { TaskKindDefinition } from '../src/runners/runner.ts';
import { imageKind } from '../src/runners/image.runner.ts';

const N = 300;
async function go(def: TaskKindDefinition, label: string, slots = 1) {
  const dataDir = await mkdtemp(join(tmpdir(), 'prof-eng-'));
  const config = loadConfig({ MEDIARY_DATA_DIR: dataDir, MEDIARY_LOG_LEVEL: 'silent', MEDIARY_INITIAL_API_KEY: 'mediary_bench_key_0123456789abcdef' });
  const ctx = await createContext(config, { kinds: [def] });
  await ctx.projects.bootstrap(config.initialApiKey);
  const path = join(dataDir, 'seed.jpg');
  await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#336699' } }).jpeg().toFile(path);
  const auth = (await ctx.projects.authenticate(config.initialApiKey!))!;
  const file = await ctx.ingest.ingestLocalFile(auth, path, { createdBy: auth.keyId });
  for (let i = 0; i < N; i++) await ctx.tasks.create(auth, { kind: def.kind, file_id: file.id, width: 320, format: 'webp' });
  const engine = ctx.createWorker({ concurrency: slots });
  const t0 = performance.now();
  const ran = await engine.runUntilIdle();
  const ms = (performance.now() - t0) / ran;
  console.log(label.padEnd(30), ms.toFixed(3), 'ms/task');
  await engine.stop(); await ctx.close(); await rm(dataDir, { recursive: true, force: true });
}
const any = Type.Object({}, { additionalProperties: true });
await go({ kind: 'image', accepts: ['image'], options: any, description: '', run: async () => ({ outputs: [] }) }, 'noop no output');
await go({ kind: 'image', accepts: ['image'], options: any, description: '', run: async (c) => { const o = join(c.workDir, 'o.txt'); await writeFile(o, 'x'); return { outputs: [{ localPath: o, object: 'source', kind: 'image', type: 'text/plain', ext: 'txt' }] }; } }, 'noop 1 output');
await go(imageKind, 'image');
