// The contract every BlobStore backend passes (STYLE habit 7). A backend's test file calls
// blobStoreContract() with a factory; each test gets a fresh store.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  type BlobStore,
  BlobTooLargeError,
  partsPrefix,
} from '../../src/blobs/blob-store.js';

export interface ContractStore {
  store: BlobStore;
  cleanup(): Promise<void>;
  /** temporary files, pending multipart uploads, … the backend left behind; should be empty between operations */
  leftovers?(): Promise<string[]>;
}

const MB = 1024 * 1024;

/** The deterministic test pattern's bytes [offset, offset + length). */
export function patternBytes(offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    buf[i] = (n ^ (n >>> 8) ^ (n >>> 16) ^ (n >>> 24)) & 0xff;
  }
  return buf;
}

/** A stream of `size` pattern bytes produced chunk by chunk, never held as one buffer. */
export function patternStream(size: number, chunkSize = 256 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let off = 0; off < size; off += chunkSize)
        yield patternBytes(off, Math.min(chunkSize, size - off));
    })(),
    { objectMode: false },
  );
}

/** A stream that yields `goodBytes` of pattern and then fails. */
export function failingStream(goodBytes: number, message = 'source broke'): Readable {
  return Readable.from(
    (async function* () {
      for (let off = 0; off < goodBytes; off += 64 * 1024) {
        yield patternBytes(off, Math.min(64 * 1024, goodBytes - off));
        await new Promise((r) => setImmediate(r));
      }
      throw new Error(message);
    })(),
    { objectMode: false },
  );
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function sha256(stream: Readable): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.length;
  }
  return { hash: h.digest('hex'), size };
}

const UNSAFE_KEYS = ['../x', '/abs', 'a/../b', '', './x', 'a/./b', 'a//b', 'a/', 'a\\b', 'a/b\0c'];

export function blobStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let ctx: ContractStore;
    let store: BlobStore;
    let scratch: string;

    beforeEach(async () => {
      ctx = await makeStore();
      store = ctx.store;
      scratch = await mkdtemp(join(tmpdir(), 'mediary-blob-contract-'));
    });

    afterEach(async () => {
      await ctx.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    async function expectNoLeftovers(): Promise<void> {
      if (ctx.leftovers) expect(await ctx.leftovers()).toEqual([]);
    }

    const put = (key: string, data: Buffer | string) => store.put(key, Readable.from([Buffer.from(data)]));
    const getBytes = async (key: string, range?: { start: number; end: number }) =>
      readAll(await store.get(key, range));

    it('put then get returns the same bytes and size', async () => {
      const data = patternBytes(0, 100_000);
      expect(await store.put('p1/f1', patternStream(100_000, 7_000))).toEqual({ size: 100_000 });
      expect((await getBytes('p1/f1')).equals(data)).toBe(true);
      await expectNoLeftovers();
    });

    it('stores an empty object', async () => {
      expect(await store.put('p1/empty', Readable.from([]))).toEqual({ size: 0 });
      expect((await store.stat('p1/empty'))?.size).toBe(0);
      expect((await getBytes('p1/empty')).length).toBe(0);
    });

    it('stat reports size and modification time; null for a missing key', async () => {
      const before = Date.now();
      await put('p1/stat.bin', 'hello world');
      const st = await store.stat('p1/stat.bin');
      expect(st?.size).toBe(11);
      expect(st?.modified).toBeInstanceOf(Date);
      // S3 keeps whole seconds
      expect(st!.modified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      expect(st!.modified.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(await store.stat('p1/missing')).toBeNull();
    });

    it('overwriting replaces the whole object', async () => {
      await put('p1/f', 'the first, longer version');
      await put('p1/f', 'second');
      expect((await getBytes('p1/f')).toString()).toBe('second');
      expect((await store.stat('p1/f'))?.size).toBe(6);
    });

    it('a failed overwrite leaves the old object intact', async () => {
      await put('p1/f', 'original');
      await expect(store.put('p1/f', failingStream(100_000))).rejects.toThrow('source broke');
      await expect(store.put('p1/f', patternStream(5000), { maxBytes: 4000 })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect((await getBytes('p1/f')).toString()).toBe('original');
      await expectNoLeftovers();
    });

    it('get returns inclusive byte ranges', async () => {
      const data = patternBytes(0, 1000);
      await store.put('p1/r', Readable.from([data]));
      expect((await getBytes('p1/r', { start: 0, end: 0 })).equals(data.subarray(0, 1))).toBe(true);
      expect((await getBytes('p1/r', { start: 10, end: 19 })).equals(data.subarray(10, 20))).toBe(true);
      expect((await getBytes('p1/r', { start: 999, end: 999 })).equals(data.subarray(999))).toBe(true);
      expect((await getBytes('p1/r', { start: 0, end: 999 })).equals(data)).toBe(true);
      // an end past the last byte is clamped, as with HTTP ranges
      expect((await getBytes('p1/r', { start: 990, end: 5000 })).equals(data.subarray(990))).toBe(true);
    });

    it('get of a missing key throws BlobNotFoundError', async () => {
      await expect(store.get('p1/missing')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('p1/missing', { start: 0, end: 10 })).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get('nope/never/there')).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it('a key that only prefixes other keys is not an object', async () => {
      await put('p1/dir/child', 'child');
      expect(await store.stat('p1/dir')).toBeNull();
      await expect(store.get('p1/dir')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.localFile('p1/dir')).rejects.toBeInstanceOf(BlobNotFoundError);
      await store.delete('p1/dir');
      expect((await getBytes('p1/dir/child')).toString()).toBe('child');
    });

    it('delete removes the object and is idempotent', async () => {
      await put('p1/d', 'bye');
      await store.delete('p1/d');
      expect(await store.stat('p1/d')).toBeNull();
      await expect(store.get('p1/d')).rejects.toBeInstanceOf(BlobNotFoundError);
      await store.delete('p1/d');
      await store.delete('p1/never-existed');
      await store.delete('nowhere/at/all');
    });

    it('put over maxBytes rejects with BlobTooLargeError and leaves nothing', async () => {
      await expect(store.put('p1/big', patternStream(1000, 100), { maxBytes: 999 })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect(await store.stat('p1/big')).toBeNull();
      await expectNoLeftovers();
      // the limit itself is allowed
      expect(await store.put('p1/big', patternStream(1000, 100), { maxBytes: 1000 })).toEqual({ size: 1000 });
    });

    it('a multi-part sized put over maxBytes leaves nothing', async () => {
      await expect(
        store.put('p1/huge', patternStream(20 * MB), { maxBytes: 12 * MB }),
      ).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await store.stat('p1/huge')).toBeNull();
      await expectNoLeftovers();
    });

    it('a source stream that fails mid-way leaves nothing', async () => {
      await expect(store.put('p1/broken', failingStream(300_000, 'client went away'))).rejects.toThrow(
        'client went away',
      );
      expect(await store.stat('p1/broken')).toBeNull();
      await expectNoLeftovers();
    });

    it('a multi-part sized source that fails mid-way leaves nothing', async () => {
      await expect(store.put('p1/broken-big', failingStream(10 * MB))).rejects.toThrow('source broke');
      expect(await store.stat('p1/broken-big')).toBeNull();
      await expectNoLeftovers();
    });

    it('putFile stores a local file and consumes it', async () => {
      const local = join(scratch, 'upload.bin');
      const data = patternBytes(0, 50_000);
      await writeFile(local, data);
      expect(await store.putFile('p1/from-file', local)).toEqual({ size: 50_000 });
      await expect(stat(local)).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await getBytes('p1/from-file')).equals(data)).toBe(true);
      await expectNoLeftovers();
    });

    it('putFile over maxBytes rejects and stores nothing', async () => {
      const local = join(scratch, 'too-big.bin');
      await writeFile(local, patternBytes(0, 2000));
      await expect(store.putFile('p1/from-file', local, { maxBytes: 1999 })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect(await store.stat('p1/from-file')).toBeNull();
      await expectNoLeftovers();
    });

    it('localFile gives a readable path; cleanup removes any temporary copy', async () => {
      const data = patternBytes(0, 70_000);
      await store.put('p1/video.mp4', Readable.from([data]));
      const local = await store.localFile('p1/video.mp4');
      expect((await readFile(local.path)).equals(data)).toBe(true);
      await local.cleanup();
      await local.cleanup();
      // the object itself survives the cleanup
      expect((await getBytes('p1/video.mp4')).equals(data)).toBe(true);
      await expectNoLeftovers();
      await expect(store.localFile('p1/missing')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expectNoLeftovers();
    });

    it('rejects unsafe keys in every operation', async () => {
      const local = join(scratch, 'x.bin');
      await writeFile(local, 'x');
      for (const key of UNSAFE_KEYS) {
        await expect(store.put(key, Readable.from([Buffer.from('x')])), key).rejects.toThrow(
          /unsafe blob key/,
        );
        await expect(store.putFile(key, local), key).rejects.toThrow(/unsafe blob key/);
        await expect(store.get(key), key).rejects.toThrow(/unsafe blob key/);
        await expect(store.stat(key), key).rejects.toThrow(/unsafe blob key/);
        await expect(store.delete(key), key).rejects.toThrow(/unsafe blob key/);
        await expect(store.localFile(key), key).rejects.toThrow(/unsafe blob key/);
        if (store.presignedGetUrl) {
          await expect(store.presignedGetUrl(key, 60), key).rejects.toThrow(/unsafe blob key/);
        }
      }
      // the local file was not consumed by a refused putFile
      expect((await readFile(local)).toString()).toBe('x');
      await expectNoLeftovers();
    });

    it('roundtrips a multi-part sized object streamed in', async () => {
      const size = 20 * MB + 12_345;
      const expected = await sha256(patternStream(size));
      expect(await store.put('p1/large.bin', patternStream(size))).toEqual({ size });
      expect((await store.stat('p1/large.bin'))?.size).toBe(size);
      expect(await sha256(await store.get('p1/large.bin'))).toEqual(expected);
      // ranges across part boundaries (5 MB, 8 MB, 16 MB) and at the very end
      for (const start of [5 * MB - 7, 8 * MB - 7, 16 * MB - 7, size - 20]) {
        const got = await getBytes('p1/large.bin', { start, end: start + 19 });
        expect(got.equals(patternBytes(start, 20)), `range at ${start}`).toBe(true);
      }
      await expectNoLeftovers();
    });

    it('lists and deletes the keys under a prefix, and only those', async () => {
      const file = 'p3/task_x-0';
      const parts = [`${partsPrefix(file)}720p/index.m3u8`, `${partsPrefix(file)}720p/seg_00000.m4s`];
      await store.put(file, Readable.from([Buffer.from('master')]));
      await store.put('p3/task_x-00', Readable.from([Buffer.from('neighbour')]));
      await store.put('p3/task_x-0.partsy/a', Readable.from([Buffer.from('neighbour')]));
      for (const k of parts) await store.put(k, Readable.from([Buffer.from(k)]));
      expect(await store.list(partsPrefix(file))).toEqual(parts.sort());
      expect(await store.list('p3/nothing/')).toEqual([]);
      await store.deletePrefix(partsPrefix(file));
      expect(await store.list(partsPrefix(file))).toEqual([]);
      for (const k of parts) expect(await store.stat(k)).toBeNull();
      // the file's own key and the neighbours stay
      expect(await store.stat(file)).not.toBeNull();
      expect(await store.stat('p3/task_x-00')).not.toBeNull();
      expect(await store.stat('p3/task_x-0.partsy/a')).not.toBeNull();
      await store.deletePrefix('p3/nothing/');
      await expect(store.deletePrefix('p3/../')).rejects.toThrow(/unsafe/);
      await expect(store.list('p3/no-slash')).rejects.toThrow(/must end/);
    });

    it('handles concurrent puts to different keys', async () => {
      const keys = Array.from({ length: 8 }, (_, i) => `p2/c${i}`);
      const sizes = keys.map((_, i) => 10_000 + i * 3_001);
      const results = await Promise.all(keys.map((k, i) => store.put(k, patternStream(sizes[i], 4096))));
      expect(results).toEqual(sizes.map((size) => ({ size })));
      for (const [i, k] of keys.entries()) {
        expect((await getBytes(k)).equals(patternBytes(0, sizes[i])), k).toBe(true);
      }
      await expectNoLeftovers();
    });
  });
}

/** Names of the entries in a directory; [] when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
