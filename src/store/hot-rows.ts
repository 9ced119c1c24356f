// Rows read again and again (a client polling GET /files/{id}) kept in memory for as long as nothing at all
// has been committed to the database, by any connection of any process: each use asks the CommitWatch
// (one pread of the wal-index header) instead of reading the row again (a WAL read lock, a b-tree lookup
// and some thirty values made JavaScript values: ~10 µs of CPU a request, most of a cheap route's cost).
// Any commit anywhere makes every remembered row stale at once, so what is served is always what a read
// at that moment would return; a server that commits as often as it is asked gains nothing and loses
// one pread a read. MEDIARY_HOT_ROWS=false turns it off.
import type { CommitWatch } from './commit-watch.js';

export class HotRows<T extends object> {
  private readonly rows = new Map<string, { row: Readonly<T>; generation: number }>();

  constructor(
    private readonly commits: CommitWatch,
    /** rows kept at most; the oldest goes first */
    private readonly max = 1000,
  ) {}

  /**
   * The row as a read now would give it: the remembered one when nothing was committed since it was read,
   * else `read()`'s (remembered, frozen: callers share it). Absent rows are not remembered.
   */
  get(key: string, read: () => T | undefined): Readonly<T> | undefined {
    // taken before the read: a commit between the two makes the next use a miss, never a stale hit
    const generation = this.commits.current();
    if (generation === undefined) return read();
    const hit = this.rows.get(key);
    if (hit && hit.generation === generation) return hit.row;
    const row = read();
    if (row === undefined) {
      this.rows.delete(key);
      return undefined;
    }
    Object.freeze(row);
    if (!hit && this.rows.size >= this.max) this.rows.delete(this.rows.keys().next().value as string);
    this.rows.set(key, { row, generation });
    return row;
  }

  /** how many rows are remembered (tests) */
  get size(): number {
    return this.rows.size;
  }
}
