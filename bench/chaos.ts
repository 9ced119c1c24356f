// `npm run chaos`: 1,000 small tasks while a worker process is SIGKILLed every few seconds (two workers,
// the killed one replaced at once), on SQLite and on PostgreSQL. Prints lost / duplicated / stuck counts
// (must be 0/0/0) and the time to drain. Not part of CI. CHAOS_TASKS, CHAOS_KILL_MS, CHAOS_DATABASES
// (sqlite,postgres) and CHAOS_POSTGRES_URL (default postgres://127.0.0.1:5432/test) change it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { randomBase62 } from '../src/lib/ids.js';
import type { AuthContext } from '../src/services/projects.service.js';
import { countKind } from './chaos-kind.js';

const TASKS = Number(process.env.CHAOS_TASKS ?? 1000);
const KILL_MS = Number(process.env.CHAOS_KILL_MS ?? 3000);
const DATABASES = (process.env.CHAOS_DATABASES ?? 'sqlite,postgres').split(',');
const PG = process.env.CHAOS_POSTGRES_URL ?? 'postgres://127.0.0.1:5432/test';
const root = join(import.meta.dirname, '..');

async function round(db: string): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-chaos-'));
  const databaseUrl =
    db === 'sqlite'
      ? `sqlite://${join(dataDir, 'chaos.db')}`
      : `${PG}?schema=chaos_${randomBase62(8).toLowerCase()}`;
  const env = {
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_DATABASE_URL: databaseUrl,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_SECRET: 'chaos-secret-0123456789abcdef0123456789',
    MEDIARY_WORKER_CONCURRENCY: '4',
    MEDIARY_TASK_LEASE_MS: '1500',
    MEDIARY_TASK_POLL_MS: '200',
    MEDIARY_TASK_RETRY_DELAY_MS: '50',
    MEDIARY_TASK_MAX_ATTEMPTS: '100',
    MEDIARY_PROJECT_CONCURRENCY: '0',
  };
  const ctx = await createContext(loadConfig(env), { kinds: [countKind()] });
  const { createdKey } = await ctx.projects.bootstrap(undefined);
  const auth = (await ctx.projects.authenticate(createdKey!.key)) as AuthContext;
  const png = join(dataDir, 'in.png');
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#224466' } })
    .png()
    .toFile(png);
  const file = await ctx.ingest.ingestLocalFile(auth, png, { createdBy: auth.keyId });

  const workers = new Set<ChildProcess>();
  const spawnWorker = () =>
    new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/chaos-worker.ts'], {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      workers.add(child);
      child.once('exit', () => workers.delete(child));
      createInterface({ input: child.stdout! }).on('line', (l) => l === 'ready' && resolve());
    });
  await Promise.all([spawnWorker(), spawnWorker()]);

  const t0 = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < TASKS; i++)
    ids.push((await ctx.tasks.create(auth, { kind: 'count', file_id: file.id })).task.id);
  let kills = 0;
  const killer = setInterval(() => {
    const victim = [...workers][Math.floor(Math.random() * workers.size)];
    if (!victim) return;
    victim.kill('SIGKILL');
    kills++;
    void spawnWorker();
  }, KILL_MS);

  const count = async (status: string) =>
    Number(
      (
        await ctx.store.db
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('kind', '=', 'count')
          .where('status', '=', status)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const deadline = Date.now() + Number(process.env.CHAOS_DRAIN_MS ?? 10 * 60_000);
  while (Date.now() < deadline && (await count('completed')) < TASKS)
    await new Promise((r) => setTimeout(r, 250));
  const drainMs = Date.now() - t0;
  clearInterval(killer);
  // let the last runs settle, then stop the workers
  await new Promise((r) => setTimeout(r, 2000));
  for (const w of workers) w.kill('SIGKILL');

  const completed = await count('completed');
  const stuck = (await count('processing')) + (await count('pending'));
  const failed = await count('failed');
  const outputs = await ctx.store.db
    .selectFrom('files')
    .select((eb) => ['created_by', eb.fn.countAll<number>().as('n')])
    .where('created_by', 'in', ids)
    .groupBy('created_by')
    .execute();
  const duplicated = outputs.filter((o) => Number(o.n) > 1).length;
  // a task is lost when it neither finished with its output nor is still visible as waiting or failed
  const lost = TASKS - outputs.length - stuck - failed;
  void completed;
  await ctx.close();
  await rm(dataDir, { recursive: true, force: true });
  return [
    db,
    String(TASKS),
    String(kills),
    String(Math.max(0, lost)),
    String(duplicated),
    String(stuck + failed),
    `${(drainMs / 1000).toFixed(1)} s`,
  ];
}

const rows = [['database', 'tasks', 'kills', 'lost', 'duplicated', 'stuck/failed', 'drain']];
for (const db of DATABASES) rows.push(await round(db));
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
process.exit(0);
