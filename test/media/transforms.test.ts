import { writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transcodeAudio } from '../../src/media/audio.js';
import { MediaError, OptionError } from '../../src/media/errors.js';
import { imageFromVideo, transformImage } from '../../src/media/image.js';
import { probeFile } from '../../src/media/probe.js';
import { sniffFile } from '../../src/media/sniff.js';
import {
  makeThumbnailTrack,
  planThumbnails,
  thumbnailSchedule,
  thumbnailVtt,
} from '../../src/media/thumbnails.js';
import { transcodeVideo } from '../../src/media/video.js';
import { audioStream, ffmpeg, ffprobe, makeClip, makeHeic, tempDir, videoStream } from './helpers.js';

const tmp = tempDir();
const f = tmp.path;
const fast = { speed: 'fast' as const };

async function probe(path: string) {
  const sniffed = await sniffFile(path);
  if (!sniffed) throw new Error(`not media: ${path}`);
  return probeFile(path, sniffed);
}

async function pixel(path: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + info.channels)];
}

beforeAll(async () => {
  makeClip(f('clip.mp4'), { duration: 2, extra: ['-c:a', 'aac', '-shortest'] });
  makeClip(f('plain.mov'), { audio: false });
  ffmpeg(['-i', f('plain.mov'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', f('rotated.mov')]);
  await sharp({
    create: { width: 40, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
  })
    .png()
    .toFile(f('alpha.png'));
  // left half white, right half black: shows where orientation and crops put things
  const half = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#000' } })
    .composite([
      { input: { create: { width: 20, height: 30, channels: 3, background: '#fff' } }, left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
  await sharp(half).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(f('oriented.jpg'));
  await sharp(half).png().toFile(f('half.png'));
  const frames = await Promise.all(
    ['#ff0000', '#00ff00', '#0000ff'].map((c) =>
      sharp({ create: { width: 20, height: 10, channels: 3, background: c } })
        .raw()
        .toBuffer(),
    ),
  );
  await sharp(Buffer.concat(frames), { raw: { width: 20, height: 30, channels: 3, pageHeight: 10 } })
    .gif({ delay: [100, 100, 100] })
    .toFile(f('anim.gif'));
  makeHeic(f('photo.heic'), 64, 48);
}, 60_000);

afterAll(() => tmp.cleanup());

describe('transcodeVideo', () => {
  it('defaults to H.264/AAC MP4 with faststart at the same size', async () => {
    const input = await probe(f('clip.mp4'));
    const seen: number[] = [];
    const plan = await transcodeVideo(input, {}, f('clip.mp4'), f('out-default.mp4'), {
      ...fast,
      onProgress: (p) => seen.push(p.percent),
    });
    expect(plan.duration).toBeCloseTo(2, 1);
    const out = ffprobe(f('out-default.mp4'));
    expect(videoStream(out)).toMatchObject({
      codec_name: 'h264',
      width: 160,
      height: 90,
      pix_fmt: 'yuv420p',
    });
    expect(audioStream(out)?.codec_name).toBe('aac');
    expect(Number(out.format.duration)).toBeCloseTo(2, 0);
    expect(seen.at(-1)).toBe(100);
  });

  it('webm with resize, trim and no audio', async () => {
    const input = await probe(f('clip.mp4'));
    await transcodeVideo(
      input,
      { format: 'webm', width: 80, start: 0.5, end: 1.5, no_audio: true },
      f('clip.mp4'),
      f('out.webm'),
      fast,
    );
    const out = ffprobe(f('out.webm'));
    expect(videoStream(out)).toMatchObject({ codec_name: 'vp9', width: 80, height: 46 });
    expect(audioStream(out)).toBeUndefined();
    expect(Number(out.format.duration)).toBeCloseTo(1, 0);
  });

  it('contain pads to the exact box with the background colour', async () => {
    const input = await probe(f('clip.mp4'));
    await transcodeVideo(
      input,
      { width: 100, height: 100, fit: 'contain', background: '#00ff00', position: 'top' },
      f('clip.mp4'),
      f('out-contain.mp4'),
      fast,
    );
    expect(videoStream(ffprobe(f('out-contain.mp4')))).toMatchObject({ width: 100, height: 100 });
    ffmpeg(['-i', f('out-contain.mp4'), '-frames:v', '1', f('contain.png')]);
    const [r, g, b] = await pixel(f('contain.png'), 50, 95);
    expect(g).toBeGreaterThan(200);
    expect(r + b).toBeLessThan(80);
  });

  it('a rotated input comes out upright at its displayed size', async () => {
    const input = await probe(f('rotated.mov'));
    expect([input.width, input.height]).toEqual([90, 160]);
    const plan = await transcodeVideo(input, { height: 80 }, f('rotated.mov'), f('out-rot.mp4'), fast);
    expect([plan.width, plan.height]).toEqual([46, 80]);
    const out = await probe(f('out-rot.mp4'));
    expect(out).toMatchObject({ width: 46, height: 80, rotation: 0 });
  });

  it('h265 and av1 in mp4', async () => {
    const input = await probe(f('clip.mp4'));
    await transcodeVideo(input, { codec: 'h265', end: 0.5 }, f('clip.mp4'), f('out-h265.mp4'), fast);
    const h265 = await probe(f('out-h265.mp4'));
    expect(h265).toMatchObject({ codec: 'hevc', type: 'video/mp4; codecs="hvc1, mp4a.40.2"' });
    await transcodeVideo(
      input,
      { codec: 'av1', end: 0.5, no_audio: true },
      f('clip.mp4'),
      f('out-av1.mp4'),
      fast,
    );
    expect(videoStream(ffprobe(f('out-av1.mp4')))?.codec_name).toBe('av1');
  });
});

describe('transcodeAudio', () => {
  it.each([
    ['mp3', 'mp3', 'mp3'],
    ['aac', 'aac', 'mov,mp4,m4a,3gp,3g2,mj2'],
    ['ogg', 'opus', 'ogg'],
    ['wav', 'pcm_s16le', 'wav'],
    ['flac', 'flac', 'flac'],
  ])('video → %s', async (format, codec, container) => {
    const plan = await transcodeAudio(
      { duration: 2 },
      { format, end: 1 },
      f('clip.mp4'),
      f(`audio-${format}`),
    );
    const out = ffprobe(f(`audio-${format}`));
    expect(out.streams).toHaveLength(1);
    expect(audioStream(out)?.codec_name).toBe(codec);
    expect(out.format.format_name).toBe(container);
    expect(Number(out.format.duration)).toBeCloseTo(1, 0);
    expect((await sniffFile(f(`audio-${format}`)))?.mime).toBe(plan.mime);
  });

  it('an input without audio fails with a MediaError', async () => {
    const err = await transcodeAudio({}, { format: 'mp3' }, f('plain.mov'), f('none.mp3')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('ffmpeg_failed');
  });
});

describe('transformImage', () => {
  it('applies EXIF orientation and strips metadata', async () => {
    const out = await transformImage(f('oriented.jpg'), f('upright.jpg'), {});
    expect(out).toMatchObject({ width: 30, height: 40, format: 'jpeg', mime: 'image/jpeg' });
    const meta = await sharp(f('upright.jpg')).metadata();
    expect(meta.orientation).toBeUndefined();
    expect(meta.exif).toBeUndefined();
    // orientation 6 = rotate 90° clockwise: the white left half ends up on top
    expect((await pixel(f('upright.jpg'), 15, 5))[0]).toBeGreaterThan(200);
    expect((await pixel(f('upright.jpg'), 15, 35))[0]).toBeLessThan(50);
  });

  it.each([
    [{ width: 20 }, 20, 15],
    [{ height: '50%' }, 20, 15],
    [{ width: 10, height: 30 }, 10, 30],
    [{ width: 10, height: 30, fit: 'cover' }, 10, 30],
  ])('half.png %o → %ix%i', async (opts, w, h) => {
    const out = await transformImage(f('half.png'), f('sized.png'), opts);
    expect([out.width, out.height]).toEqual([w, h]);
    const meta = await sharp(f('sized.png')).metadata();
    expect([meta.width, meta.height]).toEqual([w, h]);
  });

  it('cover keeps the anchored part', async () => {
    await transformImage(f('half.png'), f('cover-left.png'), {
      width: 10,
      height: 30,
      fit: 'cover',
      position: 'left',
    });
    expect((await pixel(f('cover-left.png'), 5, 15))[0]).toBe(255);
    await transformImage(f('half.png'), f('cover-right.png'), {
      width: 10,
      height: 30,
      fit: 'cover',
      position: 'right',
    });
    expect((await pixel(f('cover-right.png'), 5, 15))[0]).toBe(0);
  });

  it('contain pads: transparent for PNG, black for JPEG, or the given background', async () => {
    await transformImage(f('half.png'), f('contain.png'), { width: 60, height: 60, fit: 'contain' });
    expect((await pixel(f('contain.png'), 30, 2))[3]).toBe(0);
    await transformImage(f('half.png'), f('contain.jpg'), {
      width: 60,
      height: 60,
      fit: 'contain',
      format: 'jpg',
    });
    expect((await pixel(f('contain.jpg'), 30, 2)).slice(0, 3).every((v) => v < 20)).toBe(true);
    await transformImage(f('half.png'), f('contain-bg.webp'), {
      width: 60,
      height: 60,
      fit: 'contain',
      background: '#20B075',
      format: 'webp',
    });
    const [r, g, b] = await pixel(f('contain-bg.webp'), 30, 2);
    expect(Math.abs(r - 0x20) + Math.abs(g - 0xb0) + Math.abs(b - 0x75)).toBeLessThan(30);
  });

  it('converts formats and applies quality', async () => {
    const hi = await transformImage(f('half.png'), f('q-hi.jpg'), { format: 'jpeg', quality: 95 });
    const lo = await transformImage(f('half.png'), f('q-lo.jpg'), { format: 'jpeg', quality: 'very_low' });
    expect(lo.size).toBeLessThan(hi.size);
    const avif = await transformImage(f('alpha.png'), f('alpha.avif'), { format: 'avif' });
    expect(avif).toMatchObject({ format: 'avif', transparency: true });
    expect((await sharp(f('alpha.avif')).metadata()).hasAlpha).toBe(true);
    const jpg = await transformImage(f('alpha.png'), f('alpha.jpg'), { format: 'jpeg' });
    expect(jpg.transparency).toBe(false);
  });

  it('keeps animation for GIF/WebP and takes the first frame for PNG', async () => {
    const webp = await transformImage(f('anim.gif'), f('anim.webp'), { format: 'webp', width: 10 });
    expect(webp).toMatchObject({ animated: true, frames: 3, width: 10, height: 5 });
    expect((await sharp(f('anim.webp')).metadata()).pages).toBe(3);
    const png = await transformImage(f('anim.gif'), f('anim.png'), { format: 'png' });
    expect(png).toMatchObject({ animated: false, width: 20, height: 10 });
  });

  it('decodes HEIC and writes JPEG by default', async () => {
    const out = await transformImage(f('photo.heic'), f('photo.jpg'), { width: 32 });
    expect(out).toMatchObject({ format: 'jpeg', width: 32, height: 24 });
    expect((await sharp(f('photo.jpg')).metadata()).format).toBe('jpeg');
  });

  it('refuses images over the pixel limit and bad options', async () => {
    const err = await transformImage(f('half.png'), f('x.png'), {}, { maxPixels: 100 }).catch(
      (e: unknown) => e,
    );
    expect((err as MediaError).code).toBe('media_too_large');
    const opt = await transformImage(f('half.png'), f('x.png'), { format: 'bmp' }).catch((e: unknown) => e);
    expect(opt).toBeInstanceOf(OptionError);
    expect((opt as OptionError).option).toBe('format');
  });

  it('a corrupt image fails with media_corrupt', async () => {
    const png = await sharp(f('half.png')).toBuffer();
    writeFileSync(f('broken.png'), png.subarray(0, 60));
    const err = await transformImage(f('broken.png'), f('y.png')).catch((e: unknown) => e);
    expect((err as MediaError).code).toBe('media_corrupt');
  });

  it('imageFromVideo grabs and resizes a frame', async () => {
    const out = await imageFromVideo(f('clip.mp4'), f('poster.jpg'), 1, { width: 80 });
    expect(out).toMatchObject({ format: 'jpeg', width: 80, height: 45 });
  });
});

interface Cue {
  start: number;
  end: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

const cueSeconds = (t: string) => t.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);

function cuesOf(track: { vtt: string }): Cue[] {
  const cues: Cue[] = [];
  const re = /(\S+) --> (\S+)\n\S+#xywh=(\d+),(\d+),(\d+),(\d+)/g;
  for (const m of track.vtt.matchAll(re)) {
    const [left, top, width, height] = m.slice(3).map(Number);
    cues.push({ start: cueSeconds(m[1]), end: cueSeconds(m[2]), left, top, width, height });
  }
  return cues;
}

/** One tile's pixels as raw RGB. */
const tileOf = (path: string, c: Cue) =>
  sharp(path)
    .extract({ left: c.left, top: c.top, width: c.width, height: c.height })
    .removeAlpha()
    .raw()
    .toBuffer();

/**
 * Mean brightness of raw RGB pixels. stats() works on the whole input and ignores extract(), so the
 * tile is cut out to a buffer first and measured from there.
 */
async function brightness(rgb: Buffer): Promise<number> {
  const width = rgb.length / 3;
  const { channels } = await sharp(rgb, { raw: { width, height: 1, channels: 3 } }).stats();
  return (channels[0].mean + channels[1].mean + channels[2].mean) / 3;
}

const difference = (a: Buffer, b: Buffer) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

describe('thumbnails', () => {
  it('schedules by count, by interval, and caps the count', () => {
    expect(thumbnailSchedule({ count: 4 }, 10)).toEqual({ count: 4, interval: 2.5 });
    expect(thumbnailSchedule({ interval: 3 }, 10)).toEqual({ count: 4, interval: 3 });
    expect(thumbnailSchedule({}, 12)).toEqual({ count: 3, interval: 5 });
    expect(thumbnailSchedule({}, 1)).toEqual({ count: 1, interval: 1 });
    expect(thumbnailSchedule({ interval: 1 }, 3600)).toEqual({ count: 100, interval: 36 });
    expect(() => thumbnailSchedule({ count: 0 }, 10)).toThrow(OptionError);
    expect(() => thumbnailSchedule({ interval: 3601 }, 7200)).toThrow(OptionError);
  });

  const hd = { duration: 60, width: 1920, height: 1080 };

  it.each([
    // options, tile size, sprite size
    [{ count: 4 }, 160, 90, 320, 180],
    [{ count: 4, width: 80 }, 80, 46, 160, 92],
    [{ count: 4, height: '10%' }, 192, 108, 384, 216],
    [{ count: 4, width: 1920 }, 1920, 1080, 3840, 2160],
    [{ count: 4, width: '100%', height: 2 }, 1920, 2, 3840, 4],
  ])('planThumbnails %o → tiles %ix%i in a %ix%i sprite', (opts, tw, th, sw, sh) => {
    expect(planThumbnails(hd, opts)).toMatchObject({
      tileWidth: tw,
      tileHeight: th,
      spriteWidth: sw,
      spriteHeight: sh,
    });
  });

  // the same ranges as the thumbnails task schema
  it.each([
    [{ width: 1921 }, 'width'],
    [{ height: '101%' }, 'height'],
    [{ width: '0%' }, 'width'],
    [{ width: 80.5 }, 'width'],
    [{ count: 101 }, 'count'],
    [{ count: 2.5 }, 'count'],
    [{ interval: 0 }, 'interval'],
    [{ interval: 3601 }, 'interval'],
    [{ format: 'gif' }, 'format'],
    [{ count: 100, width: 1920 }, 'width'],
  ])('planThumbnails refuses %o', (opts, option) => {
    const err = (() => {
      try {
        planThumbnails(hd, opts);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OptionError);
    expect((err as OptionError).option).toBe(option);
  });

  it('planThumbnails needs a duration; without a picture size the tiles are sized by ffmpeg', () => {
    expect(() => planThumbnails({ width: 1920, height: 1080 }, {})).toThrow(MediaError);
    expect(planThumbnails({ duration: 10 }, { height: '50%' })).toMatchObject({
      tileWidth: undefined,
      scale: 'scale=-2:trunc(ih*0.5/2)*2',
    });
  });

  it('renders VTT cues pointing at sprite regions', () => {
    const vtt = thumbnailVtt(
      { count: 3, columns: 2, rows: 2, tileWidth: 160, tileHeight: 90, interval: 5, duration: 12 },
      'https://cdn/sprite.jpg',
    );
    expect(vtt).toBe(
      [
        'WEBVTT',
        '',
        '00:00:00.000 --> 00:00:05.000',
        'https://cdn/sprite.jpg#xywh=0,0,160,90',
        '',
        '00:00:05.000 --> 00:00:10.000',
        'https://cdn/sprite.jpg#xywh=160,0,160,90',
        '',
        '00:00:10.000 --> 00:00:12.000',
        'https://cdn/sprite.jpg#xywh=0,90,160,90',
        '',
      ].join('\n'),
    );
  });

  it('makes one sprite with a grid of frames and its VTT', async () => {
    const track = await makeThumbnailTrack(f('clip.mp4'), tmp.dir, { count: 4, width: 80 }, 2, '{{SPRITE}}');
    expect(track).toMatchObject({
      count: 4,
      columns: 2,
      rows: 2,
      tileWidth: 80,
      tileHeight: 46,
      spriteMime: 'image/jpeg',
    });
    const meta = await sharp(track.spritePath).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([160, 92, 'jpeg']);
    const cues = track.vtt.split('\n').filter((l) => l.includes('#xywh='));
    expect(cues).toEqual([
      '{{SPRITE}}#xywh=0,0,80,46',
      '{{SPRITE}}#xywh=80,0,80,46',
      '{{SPRITE}}#xywh=0,46,80,46',
      '{{SPRITE}}#xywh=80,46,80,46',
    ]);
    expect(track.vtt).toContain('00:00:01.500 --> 00:00:02.000');
    // every tile is a real frame (the last one too, not the black filler of an incomplete grid),
    // and no two tiles show the same moment
    const tiles = await Promise.all(cuesOf(track).map((c) => tileOf(track.spritePath, c)));
    for (const [i, tile] of tiles.entries()) {
      expect(await brightness(tile), `tile ${i}`).toBeGreaterThan(30);
      for (const other of tiles.slice(i + 1)) expect(tile.equals(other)).toBe(false);
    }
  });

  it('each tile is the frame from the middle of its cue', async () => {
    const track = await makeThumbnailTrack(
      f('clip.mp4'),
      tmp.dir,
      { count: 4, width: 160, format: 'png' },
      { duration: 2, width: 160, height: 90, fps: 25 },
      'u',
    );
    const cues = cuesOf(track);
    const tiles = await Promise.all(cues.map((c) => tileOf(track.spritePath, c)));
    for (const [i, cue] of cues.entries()) {
      ffmpeg(['-ss', String((cue.start + cue.end) / 2), '-i', f('clip.mp4'), '-frames:v', '1', f('mid.png')]);
      const frame = await sharp(f('mid.png')).removeAlpha().raw().toBuffer();
      const own = difference(frame, tiles[i]);
      tiles.forEach((other, j) => {
        if (j !== i) expect(own, `tile ${i} vs ${j}`).toBeLessThan(difference(frame, other));
      });
    }
  });

  it('default options on a video shorter than one interval: one tile over the whole video', async () => {
    const track = await makeThumbnailTrack(f('clip.mp4'), tmp.dir, {}, 2, 'u');
    expect(track).toMatchObject({ count: 1, columns: 1, rows: 1, tileWidth: 160, tileHeight: 90 });
    expect(track.vtt).toContain('00:00:00.000 --> 00:00:02.000');
    expect(await brightness(await tileOf(track.spritePath, cuesOf(track)[0]))).toBeGreaterThan(30);
  });

  it('a last, shorter interval still gets a real frame', async () => {
    const track = await makeThumbnailTrack(f('clip.mp4'), tmp.dir, { interval: 1.5 }, 2, 'u');
    const cues = cuesOf(track);
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [0, 1.5],
      [1.5, 2],
    ]);
    for (const cue of cues) expect(await brightness(await tileOf(track.spritePath, cue))).toBeGreaterThan(30);
  });

  it('png sprite with percentage height', async () => {
    const track = await makeThumbnailTrack(
      f('clip.mp4'),
      tmp.dir,
      { count: 3, height: '50%', format: 'png' },
      2,
      'u',
    );
    expect(track).toMatchObject({ count: 3, columns: 2, rows: 2, tileHeight: 44, spriteExt: 'png' });
    expect(track.tileWidth).toBeGreaterThanOrEqual(78);
  });
});
