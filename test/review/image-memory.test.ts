// Hostile review 5.7: an 8000×8000 PNG (~190 KB) decodes to 192 MB. Two image tasks on it ran their
// decodes side by side, so a worker's memory was the sum of both. Now large decodes share a pixel budget
// (MEDIARY_MAX_PIXELS by default): they take turns, small images still run together. Peak RSS numbers:
// bench/image-memory.ts, docs/benchmarks.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configureSharp,
  imageDecodeStats,
  imageMetadata,
  sharpThreads,
  transformImage,
} from '../../src/media/image.js';
import { type MediaServer, startMediaServer } from '../helpers/fixtures.js';
import { startTaskApp, type TaskApp } from '../tasks/helpers.js';

describe('decode memory of a pixel bomb', () => {
  let dir: string;
  let bomb: string;
  let small: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-bomb-'));
    bomb = join(dir, 'bomb.png');
    await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#20B075' } })
      .png({ compressionLevel: 9 })
      .toFile(bomb);
    small = join(dir, 'small.png');
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#20B075' } })
      .png()
      .toFile(small);
  }, 60_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('two large decodes take turns within the budget; small ones run together', async () => {
    configureSharp({ decodePixelBudget: 8192 * 8192 });
    imageDecodeStats().resetPeak();
    await Promise.all([
      transformImage(bomb, join(dir, 'a.jpg'), { width: 320, format: 'jpeg' }),
      transformImage(bomb, join(dir, 'b.jpg'), { width: 200, format: 'jpeg' }),
    ]);
    expect(imageDecodeStats().peakPixels).toBe(64_000_000);
    imageDecodeStats().resetPeak();
    const meta = await imageMetadata(small);
    await Promise.all([
      transformImage(small, join(dir, 'c.jpg'), { format: 'jpeg' }, {}, meta),
      transformImage(small, join(dir, 'd.jpg'), { format: 'jpeg' }, {}, meta),
    ]);
    expect(imageDecodeStats().peakPixels).toBe(2 * 640 * 480);
    expect(imageDecodeStats().inFlightPixels).toBe(0);
  }, 60_000);

  describe('through the task API', () => {
    let t: TaskApp;
    let server: MediaServer;
    beforeAll(async () => {
      server = await startMediaServer({ 'bomb.png': bomb });
      t = await startTaskApp({ env: { MEDIARY_WORKER_CONCURRENCY: '2' } });
    }, 60_000);
    afterAll(async () => {
      await t?.close();
      await server?.close();
    });

    it('the worker sets sharp up deliberately: budget = MEDIARY_MAX_PIXELS, one libvips thread a slot on 2 cores', () => {
      expect(imageDecodeStats().budgetPixels).toBe(t.config.limits.maxPixels);
      expect(sharp.concurrency()).toBe(sharpThreads(availableParallelism(), 2));
      expect(sharpThreads(2, 2)).toBe(1);
      expect(sharp.cache()).toMatchObject({ memory: { max: 0 }, items: { max: 0 }, files: { max: 0 } });
    });

    it('an image task pair on the bomb completes, decodes taking turns', async () => {
      const file = await t.request('POST', '/files', { url: `${server.url}/bomb.png` });
      expect(file.status).toBe(201);
      imageDecodeStats().resetPeak();
      const a = await t.create({ kind: 'image', file_id: file.json.id, width: 1024, format: 'webp' });
      const b = await t.create({ kind: 'image', file_id: file.json.id, width: 320, format: 'jpeg' });
      await t.engine.runUntilIdle();
      expect((await t.task(a.id)).status).toBe('completed');
      expect((await t.task(b.id)).status).toBe('completed');
      expect(imageDecodeStats().peakPixels).toBe(64_000_000);
    }, 120_000);
  });
});
