import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentTaskError } from '../../src/runners/runner.js';
import { thumbnailsKind } from '../../src/runners/thumbnails.runner.js';
import { ffmpeg, makeClip, makeTone, tempDir } from '../media/helpers.js';
import { DELIVERY, makeContext } from './helpers.js';

const tmp = tempDir('mediary-thumbs-runner-');
const f = tmp.path;

async function run(input: string, options: Record<string, unknown> = {}, limits = {}) {
  const { ctx, progress } = makeContext(tmp.dir, 'thumbnails', input, options, limits);
  const { outputs } = await thumbnailsKind.run(ctx);
  expect(outputs).toHaveLength(2);
  const track = outputs.find((o) => o.object === 'track')!;
  const sprite = outputs.find((o) => o.object === 'source')!;
  return { ctx, track, sprite, progress };
}

interface Cue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const seconds = (t: string) => {
  const [h, m, s] = t.split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
};

/** A strict-enough WebVTT reader: header, then blocks of "start --> end" + one payload line. */
function parseVtt(text: string): Cue[] {
  const blocks = text.trim().split(/\n\n+/);
  expect(blocks.shift()).toBe('WEBVTT');
  return blocks.map((block) => {
    const [timing, payload, ...rest] = block.split('\n');
    expect(rest).toEqual([]);
    const t = /^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$/.exec(timing);
    expect(t, timing).not.toBeNull();
    const p = /^(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(payload);
    expect(p, payload).not.toBeNull();
    return {
      start: seconds(t![1]),
      end: seconds(t![2]),
      url: p![1],
      x: Number(p![2]),
      y: Number(p![3]),
      w: Number(p![4]),
      h: Number(p![5]),
    };
  });
}

const region = (path: string, c: Cue) =>
  sharp(path).extract({ left: c.x, top: c.y, width: c.w, height: c.h }).removeAlpha().raw().toBuffer();
const mean = (b: Buffer) => b.reduce((sum, v) => sum + v, 0) / b.length;
const diff = (a: Buffer, b: Buffer) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

beforeAll(() => {
  makeClip(f('clip.mp4'), { size: '320x180', duration: 2, extra: ['-c:a', 'aac', '-shortest'] });
  makeTone(f('tone.mp3'), ['-c:a', 'libmp3lame']);
}, 60_000);

afterAll(() => tmp.cleanup());

describe('thumbnails runner', () => {
  it('count → a sprite grid and a VTT whose cues cover the video and point into the sprite', async () => {
    const { track, sprite, progress } = await run(f('clip.mp4'), {
      count: 4,
      ref: 'thumbnails',
      folder: 'thumbs',
      filename: 'clip.vtt',
    });
    expect(track).toMatchObject({
      object: 'track',
      kind: 'thumbnails',
      type: 'text/vtt',
      ext: 'vtt',
      ref: 'thumbnails',
      folder: 'thumbs',
      filename: 'clip.vtt',
      primary: true,
    });
    expect(sprite).toMatchObject({
      object: 'source',
      kind: 'image',
      type: 'image/jpeg',
      ext: 'jpg',
      ref: 'thumbnails-sprite',
      folder: 'thumbs',
      filename: 'clip-sprite.jpg',
    });
    expect(sprite.primary).toBeFalsy();

    // 4 tiles of the default 160 px width at 16:9 → a 2×2 grid of 160×90
    const meta = await sharp(sprite.localPath).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 180]);
    expect(sprite.facts).toMatchObject({ width: 320, height: 180 });

    const cues = parseVtt(readFileSync(track.localPath, 'utf8'));
    expect(cues).toHaveLength(4);
    expect(cues[0].start).toBe(0);
    expect(cues.at(-1)!.end).toBeCloseTo(2, 1);
    cues.forEach((cue, i) => {
      expect(cue.url).toBe(`${DELIVERY}/thumbs/clip-sprite.jpg`);
      expect(cue.end).toBeGreaterThan(cue.start);
      if (i > 0) expect(cue.start).toBeCloseTo(cues[i - 1].end, 3);
      expect([cue.w, cue.h]).toEqual([160, 90]);
      expect(cue.x + cue.w).toBeLessThanOrEqual(meta.width!);
      expect(cue.y + cue.h).toBeLessThanOrEqual(meta.height!);
    });
    expect(new Set(cues.map((c) => `${c.x},${c.y}`)).size).toBe(4);
    expect(progress.mock.calls.at(-1)?.[0]).toBe(100);

    // each tile is the frame from the middle of its cue: closer to that frame than to any other cue's
    const tiles = await Promise.all(cues.map((c) => region(sprite.localPath, c)));
    for (const [i, cue] of cues.entries()) {
      const at = f(`mid-${i}.png`);
      ffmpeg([
        '-ss',
        String((cue.start + cue.end) / 2),
        '-i',
        f('clip.mp4'),
        '-frames:v',
        '1',
        '-vf',
        'scale=160:90',
        at,
      ]);
      const frame = await sharp(at).removeAlpha().raw().toBuffer();
      expect(mean(tiles[i]), `tile ${i} is not blank`).toBeGreaterThan(30);
      const own = diff(frame, tiles[i]);
      tiles.forEach((other, j) => {
        if (j !== i) expect(own, `tile ${i} vs ${j}`).toBeLessThan(diff(frame, other));
      });
    }
  });

  it('interval, tile size and format; the sprite is named after the task without a filename', async () => {
    const { ctx, track, sprite } = await run(f('clip.mp4'), { interval: 0.5, width: 80, format: 'png' });
    expect(sprite).toMatchObject({
      type: 'image/png',
      ext: 'png',
      ref: null,
      folder: null,
      filename: `${ctx.task.id}-sprite.png`,
    });
    expect(track).toMatchObject({ ref: null, folder: null, filename: null });
    const cues = parseVtt(readFileSync(track.localPath, 'utf8'));
    expect(cues).toHaveLength(4);
    expect(cues[0].url).toBe(ctx.urlFor(null, sprite.filename!));
    for (const cue of cues) expect(mean(await region(sprite.localPath, cue))).toBeGreaterThan(30);
    const meta = await sharp(sprite.localPath).metadata();
    expect(meta.format).toBe('png');
    expect(cues[0].w).toBe(80);
    expect(meta.width).toBe(2 * 80);
    expect(meta.height).toBe(2 * cues[0].h);
  });

  it('a last, shorter interval still gets a real frame', async () => {
    const { track, sprite } = await run(f('clip.mp4'), { interval: 1.5 });
    const cues = parseVtt(readFileSync(track.localPath, 'utf8'));
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [0, 1.5],
      [1.5, 2],
    ]);
    for (const cue of cues) expect(mean(await region(sprite.localPath, cue))).toBeGreaterThan(30);
  });

  it('percent sizes and webp', async () => {
    const { track, sprite } = await run(f('clip.mp4'), { count: 2, height: '50%', format: 'webp' });
    const cues = parseVtt(readFileSync(track.localPath, 'utf8'));
    expect(cues.map((c) => [c.w, c.h])).toEqual([
      [160, 90],
      [160, 90],
    ]);
    expect(sprite.type).toBe('image/webp');
    const meta = await sharp(sprite.localPath).metadata();
    expect([meta.width, meta.height]).toEqual([320, 90]);
  });

  it('by default one thumbnail per 5 s: a short video gets one cue over its whole length', async () => {
    const { track, sprite } = await run(f('clip.mp4'));
    const cues = parseVtt(readFileSync(track.localPath, 'utf8'));
    expect(cues).toHaveLength(1);
    expect(mean(await region(sprite.localPath, cues[0]))).toBeGreaterThan(30);
    expect(cues[0].start).toBe(0);
    expect(cues[0].end).toBeCloseTo(2, 1);
  });

  it('audio input, an over-large sprite and bad options fail permanently', async () => {
    const audio = await run(f('tone.mp3')).catch((e: Error) => e);
    expect(audio).toBeInstanceOf(PermanentTaskError);
    expect((audio as Error).message).toMatch(/needs a video input/);

    const huge = await run(f('clip.mp4'), { count: 100, width: 1920 }).catch((e: Error) => e);
    expect(huge).toBeInstanceOf(PermanentTaskError);
    expect((huge as Error).message).toMatch(/sprite/);

    const pixels = await run(f('clip.mp4'), { count: 16 }, { maxPixels: 100_000 }).catch((e: Error) => e);
    expect(pixels).toBeInstanceOf(PermanentTaskError);

    const bad = await run(f('clip.mp4'), { count: 0 }).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(PermanentTaskError);
    expect((bad as Error).message).toContain('count');
  });
});
