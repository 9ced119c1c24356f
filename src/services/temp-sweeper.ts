// Temp files a crash leaves behind in {data dir}/tmp: task work dirs (`{task id}-XXXXXX`, each can hold
// gigabytes of transcode output), spare empty work dirs (`spare-…`, work-dirs.ts) and URL-ingest
// downloads (`ingest-…`). A run removes its own in `finally`;
// a killed process never gets there. Chunked and tus uploads have their own sweeper (uploads.service.ts).
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { every } from '../lib/periodic.js';
import type { TasksRepository } from '../store/tasks.repository.js';
import { SPARE_DIR } from './work-dirs.js';

const TASK_DIR = /^(task_[A-Za-z0-9]{1,64})(-[A-Za-z0-9]+)?$/;
const INGEST_FILE = /^ingest-\d+-[0-9a-f]+$/;

export interface TempSweeperOptions {
  tmpDir: string;
  tasks: Pick<TasksRepository, 'processingAmong'>;
  /**
   * How old an entry must be before it may go. Work dirs of tasks still processing (on any node) stay
   * whatever their age; an ingest download is written to until the ingest timeout, so this must exceed it.
   */
  minAgeMs: number;
  clock?: () => number;
}

export class TempSweeper {
  constructor(private readonly opts: TempSweeperOptions) {}

  /** Removes leftovers; returns what it removed (names in the tmp dir). */
  async sweep(): Promise<string[]> {
    const { tmpDir, tasks, minAgeMs } = this.opts;
    const cutoff = (this.opts.clock ?? Date.now)() - minAgeMs;
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    const old: { name: string; taskId?: string }[] = [];
    for (const name of names) {
      const task = TASK_DIR.exec(name);
      if (!task && !INGEST_FILE.test(name) && !SPARE_DIR.test(name)) continue;
      const st = await stat(join(tmpDir, name)).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) old.push({ name, taskId: task?.[1] });
    }
    const ids = [...new Set(old.flatMap((o) => (o.taskId ? [o.taskId] : [])))];
    const running = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const id of await tasks.processingAmong(ids.slice(i, i + 500))) running.add(id);
    }
    const removed: string[] = [];
    for (const o of old) {
      if (o.taskId && running.has(o.taskId)) continue;
      await rm(join(tmpDir, o.name), { recursive: true, force: true });
      removed.push(o.name);
    }
    return removed;
  }

  /** Sweeps now and then every `everyMs`; the returned function stops it. */
  start(everyMs: number, onError: (err: Error) => void): () => void {
    return every(everyMs, () => this.sweep(), onError, { now: true });
  }
}
