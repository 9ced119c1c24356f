// A worker process on a test app's store (test/tasks/fixtures/worker-process.ts): its stdout lines can be
// awaited, and the caller keeps the child to kill it when the test ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';
import { noteKind } from '../tasks/kinds.js';

const root = join(import.meta.dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  /** resolves with the first stdout line from now on that matches */
  line(match: RegExp): Promise<RegExpMatchArray>;
}

export function spawnWorker(
  t: TaskApp,
  children: ChildProcess[],
  env: Record<string, string> = {},
): WorkerProcess {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'test/tasks/fixtures/worker-process.ts'], {
    cwd: root,
    env: {
      ...process.env,
      MEDIARY_DATA_DIR: t.dataDir,
      MEDIARY_DATABASE_URL: t.databaseUrl,
      MEDIARY_DELIVERY_URL: t.config.deliveryUrl,
      MEDIARY_LOG_LEVEL: 'silent',
      MEDIARY_WORKER_CONCURRENCY: '2',
      MEDIARY_TASK_LEASE_MS: '2000',
      // SQLite has no cross-process wake-up: a worker in another process finds new tasks by polling
      MEDIARY_TASK_POLL_MS: t.ctx.store.dialect === 'sqlite' ? '100' : '60000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const waiting: { match: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    for (const w of [...waiting]) {
      const m = line.match(w.match);
      if (m) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    exited,
    line: (match: RegExp) => new Promise<RegExpMatchArray>((resolve) => waiting.push({ match, resolve })),
  };
}

/**
 * The harness of the multi-process tests: a test app whose `slow` and `count` kinds complete at once (so the
 * test process finishes what a killed worker started), worker processes on its store, and a cleanup for
 * afterEach that kills what is left and closes the apps.
 */
export function processHarness() {
  const children: ChildProcess[] = [];
  const apps: TaskApp[] = [];
  return {
    spawnWorker: (t: TaskApp, env: Record<string, string> = {}) => spawnWorker(t, children, env),
    async app(db: 'sqlite' | 'postgres'): Promise<TaskApp> {
      const t = await startTaskApp({
        db,
        kinds: [
          { ...noteKind(), kind: 'slow' },
          { ...noteKind(), kind: 'count' },
        ],
      });
      apps.push(t);
      return t;
    },
    async cleanup(): Promise<void> {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      for (const a of apps.splice(0)) await a.close();
    },
  };
}
