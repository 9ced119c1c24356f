// Local-disk blob store: objects are files under a root; writes go to a temp file and are renamed into place.
// stat and rename are synchronous: on a local disk they cost microseconds, less than the thread-pool round
// trip of their async forms, which waits behind busy cores (and sharp, which shares libuv's pool).

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertSafeKey,
  assertSafePrefix,
  BlobNotFoundError,
  type BlobStat,
  type BlobStore,
  BlobTooLargeError,
  type ByteRange,
  type PutOptions,
} from './blob-store.js';

export class DiskBlobStore implements BlobStore {
  readonly kind = 'disk' as const;
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertSafeKey(key);
    return join(this.root, key);
  }

  private tempPath(): string {
    return join(this.root, '.tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  async put(key: string, body: Readable, opts: PutOptions = {}): Promise<{ size: number }> {
    const dest = this.pathOf(key);
    const tmp = this.tempPath();
    await mkdir(dirname(tmp), { recursive: true });
    let size = 0;
    const limit = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > limit) cb(new BlobTooLargeError(limit));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(body, counter, createWriteStream(tmp));
      await renameInto(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size };
  }

  async putFile(key: string, localPath: string, opts: PutOptions = {}): Promise<{ size: number }> {
    const dest = this.pathOf(key);
    const st = statSync(localPath);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes);
    try {
      renameIntoSync(localPath, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // another filesystem: copy to a temp file beside the destination, then rename
      const tmp = this.tempPath();
      await mkdir(dirname(tmp), { recursive: true });
      await copyFile(localPath, tmp);
      await renameInto(tmp, dest);
      await rm(localPath, { force: true });
    }
    return { size: st.size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.pathOf(key);
    const st = await this.stat(key);
    if (!st) throw new BlobNotFoundError(key);
    return createReadStream(p, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<BlobStat | null> {
    try {
      const st = statSync(this.pathOf(key));
      // a directory holds other keys ("a" when "a/b" exists); it is not an object itself
      if (!st.isFile()) return null;
      return { size: st.size, modified: st.mtime };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    // never remove a directory of other keys
    if (!(await this.stat(key))) return;
    await rm(p, { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    assertSafePrefix(prefix);
    const dir = join(this.root, prefix);
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code === 'ENOENT' ||
          (err as NodeJS.ErrnoException).code === 'ENOTDIR'
        )
          return;
        throw err;
      }
      for (const e of entries) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) out.push(relative(this.root, p).split('\\').join('/'));
      }
    };
    await walk(dir);
    return out.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    assertSafePrefix(prefix);
    // a prefix is a directory of keys; the key without the slash (a file) is not part of it
    const dir = join(this.root, prefix);
    const st = await stat(dir).catch(() => null);
    if (st?.isDirectory()) await rm(dir, { recursive: true, force: true });
  }

  async localFile(key: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
    const p = this.pathOf(key);
    if (!(await this.stat(key))) throw new BlobNotFoundError(key);
    return { path: p, cleanup: async () => {} };
  }
}

/** renameInto, synchronously: a metadata change on one local disk (putFile's common case). */
function renameIntoSync(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
  }
}

/** rename(), creating the destination's directory when it is missing (the common case needs no mkdir). */
async function renameInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    // ENOENT with an existing source (the callers just stat'ed or wrote it): the directory is missing
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }
}
