// SQLite's WAL checkpoints off the event loop. By default the connection that commits the transaction which
// takes the WAL past 1,000 pages checkpoints on the spot: it copies the pages into the database file and
// waits for two fsyncs, ~10 ms on a cloud disk, during which the server answers nothing (measured: 1 commit
// in ~75 took 9–13 ms instead of 0.1). A long-running server (`mediary start`) instead checkpoints from a
// thread of its own, with its own connection to the same file; the main connection keeps a far-off
// automatic checkpoint only as a safety net, should the thread ever fall behind.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** The main connection checkpoints itself only past this many WAL pages (~40 MB). */
export const SAFETY_NET_PAGES = 10_000;

export interface CheckpointResult {
  /** frames in the WAL */
  log: number;
  /** frames copied into the database file so far */
  checkpointed: number;
  /** the checkpoint could not finish (another connection's checkpoint, or a reader on an old snapshot) */
  busy: boolean;
}

export interface Checkpointer {
  /** resolves with the next checkpoint's result (tests; a tick is asked for at once) */
  next(): Promise<CheckpointResult>;
  /** the last checkpoint's result, if any ran */
  last(): CheckpointResult | undefined;
  stop(): Promise<void>;
}

// plain CommonJS, so the thread needs no TypeScript loader; it loads the very better-sqlite3 the main thread
// uses (one SQLite library in the process, so both connections share its file-lock bookkeeping)
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
const tick = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed, busy: r.busy === 1 });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(tick, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'tick') tick();
  if (m === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

/**
 * Starts checkpointing `path` every `everyMs` from a worker thread and moves the main connection's own
 * automatic checkpoint out to SAFETY_NET_PAGES. `onError` hears a checkpoint that failed (the next tick
 * tries again).
 */
export function startCheckpointer(
  main: SQLite.Database,
  path: string,
  opts: { everyMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  main.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      everyMs: opts.everyMs ?? 500,
    },
  });
  // a server's housekeeping: it never keeps the process alive
  worker.unref();
  let last: CheckpointResult | undefined;
  let waiting: ((r: CheckpointResult) => void)[] = [];
  worker.on('message', (m: CheckpointResult | { error: string }) => {
    if ('error' in m) {
      opts.onError?.(m.error);
      return;
    }
    last = m;
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve(m);
  });
  worker.on('error', (err) => opts.onError?.(err.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopped = false;
  return {
    next: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        worker.postMessage('tick');
      }),
    last: () => last,
    async stop() {
      if (stopped) return exited;
      stopped = true;
      if (main.open) main.pragma('wal_autocheckpoint = 1000');
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
