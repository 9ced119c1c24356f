// Knowing, for the price of one pread, whether anything was committed to a SQLite database since a moment:
// the basis of the hot-row cache (hot-rows.ts). Every connection in every process that commits to a WAL
// database publishes the commit by rewriting the wal-index header at the start of the `-shm` file (its
// change counter, last frame, salts and checksums: https://www.sqlite.org/walformat.html, "The WAL-Index
// Header"). Readers find the committed state from that header, so when its bytes are unchanged, no commit has
// become visible since; a checkpoint does not touch it (the content does not change), restarting the WAL
// after one does. The header is written twice, the second copy first and then the first, and SQLite's own
// readers compare the two to catch a write in progress: so do we, and a torn read counts as "changed".
//
// The file is opened read-only once per process and path, shared by every watch of that database, and closed
// when the last of them closes: POSIX drops every lock a process holds on a file when it closes any
// descriptor of that file, and SQLite holds its WAL locks on this one, so a store closing its own descriptor
// would take them from another store of the same database still open in the process. A watch closes after
// its store's connections (db.ts); a SQLite connection opened beside the stores (a script, a test) should
// close before the last store of its database does.
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';

const HEADER = 48;

/** One descriptor per -shm file in this process, with the number of watches using it. */
const shared = new Map<string, { fd: number; users: number }>();

export class CommitWatch {
  private fd: number | undefined;
  private shmPath: string | undefined;
  private readonly read = Buffer.alloc(2 * HEADER);
  private readonly seen = Buffer.alloc(HEADER);
  private generation = 0;
  private closed = false;

  /** `dbPath`: the database file of a SQLite database in WAL mode */
  constructor(private readonly dbPath: string) {}

  /**
   * A number that changes whenever a commit became visible since the last call that returned another
   * number; undefined when the header cannot be read or is being written (treat as "anything may have
   * changed": read the database, remember nothing).
   */
  current(): number | undefined {
    if (this.closed) return undefined;
    if (this.fd === undefined) {
      const path = resolve(`${this.dbPath}-shm`);
      let entry = shared.get(path);
      if (!entry) {
        try {
          entry = { fd: openSync(path, 'r'), users: 0 };
        } catch {
          return undefined; // no -shm yet: SQLite creates it on the first read
        }
        shared.set(path, entry);
      }
      entry.users++;
      this.fd = entry.fd;
      this.shmPath = path;
    }
    let n: number;
    try {
      n = readSync(this.fd, this.read, 0, 2 * HEADER, 0);
    } catch {
      return undefined;
    }
    if (n < 2 * HEADER) return undefined;
    // the two copies differ while a commit is being published
    if (this.read.compare(this.read, HEADER, 2 * HEADER, 0, HEADER) !== 0) return undefined;
    if (this.read.compare(this.seen, 0, HEADER, 0, HEADER) !== 0) {
      this.read.copy(this.seen, 0, 0, HEADER);
      this.generation++;
    }
    return this.generation;
  }

  /** After this store's connections have closed (see the note at the top). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const entry = this.shmPath === undefined ? undefined : shared.get(this.shmPath);
    if (entry && --entry.users === 0) {
      shared.delete(this.shmPath!);
      closeSync(entry.fd);
    }
    this.fd = undefined;
  }
}
