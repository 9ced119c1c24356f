import { readdir } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseContentRange } from '../../src/http/delivery/upload-body.js';
import { testDatabases } from '../helpers/app.js';
import { type DeliveryTestApp, startDeliveryTestApp, wav } from '../helpers/delivery.js';

async function listAll(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

describe('Content-Range parsing', () => {
  it('accepts the docs form and the RFC form, END inclusive', () => {
    expect(parseContentRange('bytes=0-16777215/100000000')).toEqual({
      start: 0,
      end: 16777215,
      total: 100000000,
    });
    expect(parseContentRange('bytes 5-9/10')).toEqual({ start: 5, end: 9, total: 10 });
  });
  it('refuses what is not a complete, consistent range', () => {
    for (const bad of [
      'bytes */10',
      'bytes 0-9/*',
      'items 0-9/10',
      'bytes 9-5/10',
      'bytes 0-10/10',
      'bytes=-5/10',
      '',
    ]) {
      expect(() => parseContentRange(bad), bad).toThrow();
    }
  });
});

describe.each(testDatabases())('chunked upload (%s)', (db) => {
  let t: DeliveryTestApp;

  beforeAll(async () => {
    t = await startDeliveryTestApp({ db, env: { MEDIARY_MAX_UPLOAD_BYTES: String(512 * 1024) } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const chunk = (path: string, bytes: Buffer, start: number, end: number, form = 'bytes ', extra = {}) =>
    t.send(`/${t.projectId}/${path}`, {
      method: 'PUT',
      auth: true,
      body: bytes.subarray(start, end + 1),
      headers: {
        'content-range': `${form}${start}-${end}/${bytes.length}`,
        'content-type': 'application/octet-stream',
        'accept-version': '2025-08-20',
        ...extra,
      },
    });

  const split = (size: number, n: number): [number, number][] => {
    const step = Math.ceil(size / n);
    const out: [number, number][] = [];
    for (let s = 0; s < size; s += step) out.push([s, Math.min(size, s + step) - 1]);
    return out;
  };

  it('chunks in any order: 202 each, 201 + File for the one that completes it', async () => {
    const bytes = wav(64_000, 2);
    const parts = split(bytes.length, 4);
    const order = [3, 1, 0, 2];
    for (const [i, idx] of order.entries()) {
      const [s, e] = parts[idx];
      const r = await chunk('chunks/out-of-order.wav', bytes, s, e, i % 2 ? 'bytes=' : 'bytes ');
      if (i < order.length - 1) {
        expect(r.status).toBe(202);
        expect(r.json).toMatchObject({ object: 'upload', status: 'receiving', total: bytes.length });
      } else {
        expect(r.status).toBe(201);
        expect(r.json).toMatchObject({ kind: 'audio', filesize: bytes.length, filename: 'out-of-order.wav' });
      }
    }
    const back = await t.send(`/${t.projectId}/chunks/out-of-order.wav`);
    expect(back.body.equals(bytes)).toBe(true);
    expect(await listAll(join(t.dataDir, 'tmp', 'uploads'))).toEqual([]);
  });

  it('many chunks join into the exact bytes, without piling listeners onto the joined file', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const bytes = wav(64_000, 2);
      const parts = split(bytes.length, 24);
      expect(parts.length).toBe(24);
      for (const [i, [s, e]] of parts.entries()) {
        const r = await chunk('chunks/many.wav', bytes, s, e);
        expect(r.status).toBe(i < parts.length - 1 ? 202 : 201);
      }
      const back = await t.send(`/${t.projectId}/chunks/many.wav`);
      expect(back.body.equals(bytes)).toBe(true);
      expect(await listAll(join(t.dataDir, 'tmp', 'uploads'))).toEqual([]);
      // process warnings are emitted on the next tick
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.includes('MaxListenersExceeded'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('chunks in parallel: exactly one 201, even when the last two arrive together', async () => {
    for (let round = 0; round < 3; round++) {
      const bytes = wav(80_000, 5 + round);
      const parts = split(bytes.length, 8);
      const path = `chunks/parallel-${round}.wav`;
      const first = round === 0 ? parts : parts.slice(0, -2);
      const results = await Promise.all(first.map(([s, e]) => chunk(path, bytes, s, e)));
      if (round > 0) {
        results.push(...(await Promise.all(parts.slice(-2).map(([s, e]) => chunk(path, bytes, s, e)))));
      }
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 202)).toHaveLength(7);
      const back = await t.send(`/${t.projectId}/${path}`);
      expect(back.body.equals(bytes)).toBe(true);
    }
    const list = (await t.request('/files?limit=100', { headers: { 'accept-version': '2025-08-20' } })).json;
    expect(list.filter((f: { filename: string }) => f.filename.startsWith('parallel-'))).toHaveLength(3);
  });

  it('a retried chunk is harmless, before and after the upload completed', async () => {
    const bytes = wav(30_000, 9);
    const [a, b] = split(bytes.length, 2);
    expect((await chunk('chunks/retry.wav', bytes, ...a)).status).toBe(202);
    expect((await chunk('chunks/retry.wav', bytes, ...a)).status).toBe(202);
    const done = await chunk('chunks/retry.wav', bytes, ...b);
    expect(done.status).toBe(201);
    // the answer to the last chunk was lost; the client sends it again
    const again = await chunk('chunks/retry.wav', bytes, ...b);
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(done.json.id);
    const list = (await t.request('/files?limit=100', { headers: { 'accept-version': '2025-08-20' } })).json;
    expect(list.filter((f: { filename: string }) => f.filename === 'retry.wav')).toHaveLength(1);
  });

  it('overlapping or inconsistent chunks get a clear 4xx', async () => {
    const bytes = wav(20_000, 4);
    expect((await chunk('chunks/overlap.wav', bytes, 0, 9_999)).status).toBe(202);
    const overlap = await chunk('chunks/overlap.wav', bytes, 5_000, 14_999);
    expect(overlap.status).toBe(409);
    expect(overlap.json.message).toMatch(/overlap the chunk 0-9999/);
    const backwards = await t.send(`/${t.projectId}/chunks/overlap.wav`, {
      method: 'PUT',
      auth: true,
      body: Buffer.alloc(10),
      headers: { 'content-range': 'bytes 20-10/20000' },
    });
    expect(backwards.status).toBe(400);
    const outside = await t.send(`/${t.projectId}/chunks/overlap.wav`, {
      method: 'PUT',
      auth: true,
      body: Buffer.alloc(10),
      headers: { 'content-range': 'bytes 19995-20004/20000' },
    });
    expect(outside.status).toBe(400);
    expect(outside.json.error.message).toMatch(/not inside the file/);
    const mismatch = await t.send(`/${t.projectId}/chunks/overlap.wav`, {
      method: 'PUT',
      auth: true,
      body: Buffer.alloc(50),
      headers: { 'content-range': 'bytes 10000-10099/20000', 'content-length': '50' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.error.message).toMatch(/does not match Content-Range/);
    const garbage = await t.send(`/${t.projectId}/chunks/overlap.wav`, {
      method: 'PUT',
      auth: true,
      body: Buffer.alloc(10),
      headers: { 'content-range': 'bytes 0-9/*' },
    });
    expect(garbage.status).toBe(400);
    // the good part is still there: finishing works
    const done = await chunk('chunks/overlap.wav', bytes, 10_000, 19_999);
    expect(done.status).toBe(201);
  });

  it('a total over the limit is 413 before any byte is read', async () => {
    const r = await t.send(`/${t.projectId}/chunks/huge.wav`, {
      method: 'PUT',
      auth: true,
      body: Buffer.alloc(100),
      headers: { 'content-range': `bytes 0-99/${1024 * 1024 * 1024}` },
    });
    expect(r.status).toBe(413);
    expect(r.json.error.message).toMatch(/larger than this server accepts/);
  });

  it('works with a signed PUT URL, as ittybit’s own app does it', async () => {
    const s = await t.request('/signatures', {
      method: 'POST',
      body: { filename: 'signed-chunks.wav', folder: 'chunks', method: 'put' },
      headers: { 'accept-version': '2025-08-20' },
    });
    const bytes = wav(40_000, 3);
    const statuses: number[] = [];
    for (const [s0, e0] of split(bytes.length, 3)) {
      const r = await t.send(s.json.url, {
        method: 'PUT',
        body: bytes.subarray(s0, e0 + 1),
        headers: {
          'content-range': `bytes ${s0}-${e0}/${bytes.length}`,
          'content-type': 'application/octet-stream',
        },
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([202, 202, 201]);
  });

  it('a file that is not media fails on its last chunk and leaves nothing behind', async () => {
    const junk = Buffer.alloc(20_000, 7);
    expect((await chunk('chunks/junk.bin', junk, 0, 9_999)).status).toBe(202);
    const r = await chunk('chunks/junk.bin', junk, 10_000, 19_999);
    expect(r.status).toBe(400);
    expect(await listAll(join(t.dataDir, 'tmp', 'uploads'))).toEqual([]);
  });

  it('a client that vanishes mid-chunk leaves no part file; the upload can go on', async () => {
    const bytes = wav(200_000, 6);
    await new Promise<void>((resolve) => {
      const req = https.request(`${t.deliveryOrigin}/${t.projectId}/chunks/vanish.wav`, {
        method: 'PUT',
        ca: t.ca,
        agent: false,
        headers: {
          authorization: `Bearer ${t.key}`,
          'content-range': `bytes 0-99999/${bytes.length}`,
          'content-length': '100000',
        },
      });
      req.on('error', () => resolve());
      req.write(bytes.subarray(0, 30_000));
      const poll = setInterval(async () => {
        if ((await listAll(join(t.dataDir, 'tmp', 'uploads'))).some((p) => p.endsWith('.part'))) {
          clearInterval(poll);
          req.destroy();
          resolve();
        }
      }, 20);
    });
    await vi.waitFor(async () => expect(await listAll(join(t.dataDir, 'tmp', 'uploads'))).toEqual([]), {
      timeout: 5000,
    });
    expect((await chunk('chunks/vanish.wav', bytes, 0, 99_999)).status).toBe(202);
    expect((await chunk('chunks/vanish.wav', bytes, 100_000, 199_999)).status).toBe(201);
  });

  it('abandoned uploads expire: the sweeper deletes their rows and bytes', async () => {
    const bytes = wav(20_000, 8);
    expect((await chunk('chunks/abandoned.wav', bytes, 0, 9_999)).status).toBe(202);
    expect((await listAll(join(t.dataDir, 'tmp', 'uploads'))).length).toBe(1);
    const { uploads } = t.ctx;
    // not yet expired: nothing happens
    await uploads.sweep();
    expect((await listAll(join(t.dataDir, 'tmp', 'uploads'))).length).toBe(1);
    await t.ctx.store.db
      .updateTable('uploads')
      .set({ expires: new Date(Date.now() - 1000).toISOString() })
      .where('path', '=', 'chunks/abandoned.wav')
      .execute();
    expect(await uploads.sweep()).toBeGreaterThanOrEqual(1);
    expect(await listAll(join(t.dataDir, 'tmp', 'uploads'))).toEqual([]);
    const rows = await t.ctx.store.db
      .selectFrom('uploads')
      .select('id')
      .where('path', '=', 'chunks/abandoned.wav')
      .execute();
    expect(rows).toEqual([]);
    // the next chunk starts a new session, which then needs all its bytes again
    expect((await chunk('chunks/abandoned.wav', bytes, 10_000, 19_999)).status).toBe(202);
    expect((await chunk('chunks/abandoned.wav', bytes, 0, 9_999)).status).toBe(201);
  });
});
