import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFrameTime, imageKind } from '../../src/runners/image.runner.js';
import { PermanentTaskError } from '../../src/runners/runner.js';
import { ffmpeg, makeClip, makeHeic, makeTone, tempDir } from '../media/helpers.js';
import { makeContext, only } from './helpers.js';

const tmp = tempDir('mediary-image-runner-');
const f = tmp.path;

async function run(input: string, options: Record<string, unknown> = {}, limits = {}) {
  const { ctx } = makeContext(tmp.dir, 'image', input, options, limits);
  return only((await imageKind.run(ctx)).outputs);
}

async function fails(input: string, options: Record<string, unknown>, limits = {}): Promise<Error> {
  return run(input, options, limits).then(
    () => new Error('expected the task to fail'),
    (e: Error) => e,
  );
}

async function pixel(path: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + info.channels)];
}

beforeAll(async () => {
  // 320×180: left half white, right half black, so crops and rotations show where things went
  const half = sharp({ create: { width: 320, height: 180, channels: 3, background: '#000' } }).composite([
    { input: { create: { width: 160, height: 180, channels: 3, background: '#fff' } }, left: 0, top: 0 },
  ]);
  await half.clone().png().toFile(f('half.png'));
  await half.clone().webp().toFile(f('half.webp'));
  await half.clone().jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(f('oriented.jpg'));
  await sharp({
    create: { width: 40, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } },
  })
    .png()
    .toFile(f('clear.png'));
  makeHeic(f('photo.heic'), 64, 48);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180', '-frames:v', '1', f('pattern.png')]);
  makeClip(f('clip.mp4'), { size: '160x90', duration: 2 });
  makeTone(f('tone.mp3'), ['-c:a', 'libmp3lame']);
  writeFileSync(f('broken.png'), readFileSync(f('half.png')).subarray(0, 300));
}, 60_000);

afterAll(() => tmp.cleanup());

describe('image runner', () => {
  it('keeps the input format and size by default, with naming from the options', async () => {
    const out = await run(f('half.png'), { ref: 'thumb', folder: 'img', filename: 'h.png' });
    expect(out).toMatchObject({
      object: 'source',
      kind: 'image',
      type: 'image/png',
      ext: 'png',
      ref: 'thumb',
      folder: 'img',
      filename: 'h.png',
      primary: true,
    });
    expect(out.facts).toMatchObject({ width: 320, height: 180 });
    expect((await run(f('half.webp'))).type).toBe('image/webp');
  });

  it.each([
    [{ width: 160 }, 160, 90],
    [{ height: 45 }, 80, 45],
    [{ width: '50%' }, 160, 90],
    [{ width: '25%', height: '50%' }, 80, 90],
    [{ width: 100, height: 100, fit: 'cover' }, 100, 100],
    [{ width: 100, height: 100, fit: 'contain' }, 100, 100],
  ])('size %o → %i×%i', async (options, w, h) => {
    const out = await run(f('half.png'), options);
    const meta = await sharp(out.localPath).metadata();
    expect([meta.width, meta.height]).toEqual([w, h]);
    expect(out.facts).toMatchObject({ width: w, height: h });
  });

  it('cover keeps the anchored part; contain pads with the background', async () => {
    const left = await run(f('half.png'), { width: 90, height: 90, fit: 'cover', position: 'left' });
    expect((await pixel(left.localPath, 45, 45))[0]).toBeGreaterThan(200);
    const right = await run(f('half.png'), { width: 90, height: 90, fit: 'cover', position: 'right' });
    expect((await pixel(right.localPath, 45, 45))[0]).toBeLessThan(50);

    const padded = await run(f('half.png'), {
      width: 160,
      height: 160,
      fit: 'contain',
      position: 'top',
      background: '#00ff00',
      format: 'jpeg',
    });
    const [r, g, b] = await pixel(padded.localPath, 80, 150);
    expect(g).toBeGreaterThan(200);
    expect(r + b).toBeLessThan(80);
  });

  it.each([
    ['jpeg', 'jpeg', 'image/jpeg', 'jpg'],
    ['jpg', 'jpeg', 'image/jpeg', 'jpg'],
    ['png', 'png', 'image/png', 'png'],
    ['webp', 'webp', 'image/webp', 'webp'],
    ['avif', 'heif', 'image/avif', 'avif'],
    ['gif', 'gif', 'image/gif', 'gif'],
  ])('format %s', async (format, sharpFormat, type, ext) => {
    const out = await run(f('half.png'), { format, width: 64 });
    expect(out).toMatchObject({ type, ext });
    const meta = await sharp(out.localPath).metadata();
    expect(meta.format).toBe(sharpFormat);
    expect([meta.width, meta.height]).toEqual([64, 36]);
  });

  it('quality changes the size of lossy output', async () => {
    const low = await run(f('pattern.png'), { format: 'webp', quality: 'very_low' });
    const high = await run(f('pattern.png'), { format: 'webp', quality: 100 });
    expect(high.facts!.filesize!).toBeGreaterThan(low.facts!.filesize!);
  });

  it('applies EXIF orientation and strips metadata', async () => {
    const out = await run(f('oriented.jpg'));
    const meta = await sharp(out.localPath).metadata();
    expect([meta.width, meta.height]).toEqual([180, 320]);
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    // orientation 6 turns the picture 90° clockwise: the white left half is now on top
    expect((await pixel(out.localPath, 90, 40))[0]).toBeGreaterThan(200);
    expect((await pixel(out.localPath, 90, 280))[0]).toBeLessThan(50);
  });

  it('transparent input flattens when the format has no alpha', async () => {
    const out = await run(f('clear.png'), { format: 'jpeg' });
    expect((await sharp(out.localPath).metadata()).hasAlpha).toBe(false);
    const png = await run(f('clear.png'));
    expect(png.facts?.transparency).toBe(true);
  });

  it('reads HEIC and writes JPEG by default', async () => {
    const out = await run(f('photo.heic'), { width: 32 });
    expect(out).toMatchObject({ type: 'image/jpeg', ext: 'jpg' });
    const meta = await sharp(out.localPath).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 32, 24]);
  });

  it('takes a video frame: JPEG by default, at `start` when given', async () => {
    const first = await run(f('clip.mp4'));
    expect(first).toMatchObject({ type: 'image/jpeg', ext: 'jpg' });
    expect(first.facts).toMatchObject({ width: 160, height: 90 });
    const later = await run(f('clip.mp4'), { start: 1.5, format: 'png', width: 80 });
    expect(later).toMatchObject({ type: 'image/png', facts: { width: 80, height: 45 } });
    // testsrc2 moves: frames a second apart differ
    const a = await sharp(first.localPath).resize(80, 45).raw().toBuffer();
    const b = await sharp(later.localPath).removeAlpha().raw().toBuffer();
    expect(a.equals(b)).toBe(false);
  });

  it('picks a frame 10% in, or the first for very short videos', () => {
    expect(defaultFrameTime(20)).toBe(2);
    expect(defaultFrameTime(2)).toBe(0.2);
    expect(defaultFrameTime(0.5)).toBe(0);
    expect(defaultFrameTime(undefined)).toBe(0);
  });

  it('limits: a large input and an over-large output fail permanently', async () => {
    const big = await fails(f('half.png'), {}, { maxPixels: 10_000 });
    expect(big).toBeInstanceOf(PermanentTaskError);
    expect(big.message).toMatch(/megapixels/);
    const upscale = await fails(f('half.png'), { width: 8000, height: 8000 }, { maxPixels: 1_000_000 });
    expect(upscale).toBeInstanceOf(PermanentTaskError);
    expect(upscale.message).toMatch(/8000×8000/);
  });

  it('audio, corrupt input and bad options fail permanently', async () => {
    const audio = await fails(f('tone.mp3'), {});
    expect(audio).toBeInstanceOf(PermanentTaskError);
    expect(audio.message).toMatch(/needs an image or a video input/);
    expect(await fails(f('broken.png'), {})).toBeInstanceOf(PermanentTaskError);
    const bad = await fails(f('half.png'), { format: 'bmp' });
    expect(bad).toBeInstanceOf(PermanentTaskError);
    expect(bad.message).toContain('format');
  });
});
