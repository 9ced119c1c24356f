import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.js';
import { probeFile } from '../../src/media/probe.js';
import { sniffFile } from '../../src/media/sniff.js';
import { bombPng } from '../helpers/fixtures.js';
import { ffmpeg, makeClip, makeHeic, makeTone, tempDir } from './helpers.js';

const tmp = tempDir();
const f = tmp.path;

/** A PNG whose header claims width×height of one grey level: tiny on disk, huge once decoded. */
async function sniffAndProbe(path: string, limits?: Parameters<typeof probeFile>[2]) {
  const sniffed = await sniffFile(path);
  if (!sniffed) throw new Error(`not sniffed as media: ${path}`);
  return { sniffed, probe: await probeFile(path, sniffed, limits) };
}

async function expectMediaError(p: Promise<unknown>, code: string): Promise<MediaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  expect((err as MediaError).code).toBe(code);
  return err as MediaError;
}

beforeAll(async () => {
  makeClip(f('clip.mp4'), { extra: ['-c:a', 'aac', '-b:a', '64k', '-shortest'] });
  makeClip(f('clip.webm'), {
    video: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k'],
    extra: ['-c:a', 'libopus', '-shortest'],
  });
  makeClip(f('plain.mov'), { audio: false });
  ffmpeg(['-i', f('plain.mov'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', f('rotated.mov')]);
  makeClip(f('nomoov.mp4'), { duration: 2 });
  const whole = readFileSync(f('nomoov.mp4'));
  writeFileSync(f('truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 2)));
  makeClip(f('audio-only.mp4'), { audio: true, video: ['-vn', '-c:a', 'aac'] });
  makeClip(f('clip.mkv'), { extra: ['-c:a', 'flac', '-shortest'] });
  makeClip(f('clip.avi'), { audio: false, video: ['-c:v', 'mjpeg'] });
  makeTone(f('tone.webm'), ['-c:a', 'libopus']);
  makeTone(f('tone.mp3'), ['-c:a', 'libmp3lame', '-b:a', '64k']);
  makeTone(f('tone.wav'), ['-c:a', 'pcm_s16le']);
  makeTone(f('tone.ogg'), ['-c:a', 'libopus']);
  makeTone(f('tone.flac'), ['-c:a', 'flac']);
  makeTone(f('tone.aac'), ['-c:a', 'aac', '-f', 'adts']);

  await sharp({
    create: { width: 40, height: 30, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
  })
    .png()
    .toFile(f('alpha.png'));
  // EXIF orientation 6: stored landscape, displayed portrait
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toFile(f('rotated.jpg'));
  const frames = await Promise.all(
    ['#ff0000', '#00ff00', '#0000ff'].map((c) =>
      sharp({ create: { width: 20, height: 10, channels: 3, background: c } })
        .raw()
        .toBuffer(),
    ),
  );
  const strip = Buffer.concat(frames);
  for (const fmt of ['gif', 'webp'] as const) {
    await sharp(strip, { raw: { width: 20, height: 30, channels: 3, pageHeight: 10 } })
      [fmt]({ delay: [100, 100, 100], loop: 0 })
      .toFile(f(`anim.${fmt}`));
  }
  await sharp({ create: { width: 30, height: 30, channels: 3, background: '#fff' } })
    .avif({ effort: 0 })
    .toFile(f('square.avif'));
  await sharp({ create: { width: 30, height: 20, channels: 3, background: '#fff' } })
    .tiff()
    .toFile(f('image.tiff'));
  makeHeic(f('photo.heic'), 64, 48);
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } })
    .jpeg()
    .toBuffer();
  writeFileSync(f('truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
  bombPng(f('bomb.png'), 30000, 30000);

  writeFileSync(f('random.bin'), randomBytes(4096));
  writeFileSync(f('empty.bin'), Buffer.alloc(0));
  writeFileSync(f('text.txt'), 'hello, this is not a video\n'.repeat(50));
  writeFileSync(
    f('doc.pdf'),
    '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'.padEnd(600, ' '),
  );
  // a zip local file header is enough for any sniffer to call it a zip
  writeFileSync(
    f('archive.zip'),
    Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00', 'latin1'), randomBytes(200)]),
  );
}, 60_000);

afterAll(() => tmp.cleanup());

describe('sniffFile', () => {
  it.each([
    ['clip.mp4', 'video/mp4', 'mp4', 'video'],
    ['clip.webm', 'video/webm', 'webm', 'video'],
    ['clip.mkv', 'video/x-matroska', 'mkv', 'video'],
    ['plain.mov', 'video/quicktime', 'mov', 'video'],
    ['clip.avi', 'video/x-msvideo', 'avi', 'video'],
    ['audio-only.mp4', 'audio/mp4', 'm4a', 'audio'],
    ['tone.mp3', 'audio/mpeg', 'mp3', 'audio'],
    ['tone.wav', 'audio/wav', 'wav', 'audio'],
    ['tone.ogg', 'audio/ogg', 'opus', 'audio'],
    ['tone.flac', 'audio/flac', 'flac', 'audio'],
    ['tone.aac', 'audio/aac', 'aac', 'audio'],
    ['alpha.png', 'image/png', 'png', 'image'],
    ['rotated.jpg', 'image/jpeg', 'jpg', 'image'],
    ['anim.gif', 'image/gif', 'gif', 'image'],
    ['anim.webp', 'image/webp', 'webp', 'image'],
    ['square.avif', 'image/avif', 'avif', 'image'],
    ['image.tiff', 'image/tiff', 'tiff', 'image'],
    ['photo.heic', 'image/heic', 'heic', 'image'],
  ])('%s → %s', async (name, mime, ext, kind) => {
    expect(await sniffFile(f(name))).toEqual({ mime, ext, kind });
  });

  it.each(['random.bin', 'empty.bin', 'text.txt', 'doc.pdf', 'archive.zip'])(
    '%s is not media',
    async (name) => {
      expect(await sniffFile(f(name))).toBeNull();
    },
  );
});

it('sniffing a missing path throws instead of calling it non-media', async () => {
  await expect(sniffFile(f('does-not-exist.mp4'))).rejects.toThrow(/ENOENT/);
});

describe('probeFile: audio and video', () => {
  it('mp4 with h264 + aac', async () => {
    const { probe } = await sniffAndProbe(f('clip.mp4'));
    expect(probe).toMatchObject({
      kind: 'video',
      mime: 'video/mp4',
      ext: 'mp4',
      container: 'mp4',
      codec: 'h264',
      audioCodec: 'aac',
      width: 160,
      height: 90,
      orientation: 'landscape',
      rotation: 0,
      fps: 25,
      hasAudio: true,
      hasVideo: true,
      transparency: false,
      animated: false,
    });
    expect(probe.type).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}, mp4a\.40\.2"$/);
    expect(probe.duration).toBeCloseTo(1, 0);
    expect(probe.frames).toBe(25);
    expect(probe.bitrate).toBeGreaterThan(0);
    expect(probe.filesize).toBe(readFileSync(f('clip.mp4')).length);
  });

  it('webm with vp9 + opus', async () => {
    const { probe } = await sniffAndProbe(f('clip.webm'));
    expect(probe).toMatchObject({
      kind: 'video',
      codec: 'vp9',
      audioCodec: 'opus',
      container: 'webm',
      width: 160,
    });
    expect(probe.type).toBe('video/webm; codecs="vp9, opus"');
    expect(probe.duration).toBeCloseTo(1, 0);
  });

  it('mov with a rotation reports the displayed size', async () => {
    const { probe } = await sniffAndProbe(f('rotated.mov'));
    expect([90, 270]).toContain(probe.rotation);
    expect(probe).toMatchObject({ width: 90, height: 160, orientation: 'portrait', container: 'mov' });
  });

  it('audio-only mp4 is audio', async () => {
    const { probe } = await sniffAndProbe(f('audio-only.mp4'));
    expect(probe).toMatchObject({
      kind: 'audio',
      mime: 'audio/mp4',
      ext: 'm4a',
      codec: 'aac',
      hasVideo: false,
    });
    expect(probe.width).toBeUndefined();
  });

  it.each([
    ['tone.mp3', 'audio/mpeg', 'mp3'],
    ['tone.wav', 'audio/wav', 'pcm_s16le'],
    ['tone.ogg', 'audio/ogg; codecs="opus"', 'opus'],
    ['tone.flac', 'audio/flac', 'flac'],
  ])('%s', async (name, type, codec) => {
    const { probe } = await sniffAndProbe(f(name));
    expect(probe).toMatchObject({
      kind: 'audio',
      type,
      codec,
      hasAudio: true,
      hasVideo: false,
      sampleRate: 48000,
    });
    expect(probe.duration).toBeCloseTo(1, 0);
  });

  it('audio-only webm is audio/webm', async () => {
    const { sniffed, probe } = await sniffAndProbe(f('tone.webm'));
    expect(sniffed.kind).toBe('video');
    expect(probe).toMatchObject({
      kind: 'audio',
      mime: 'audio/webm',
      type: 'audio/webm; codecs="opus"',
      codec: 'opus',
    });
  });

  it('truncated mp4 (no moov) is corrupt', async () => {
    const sniffed = await sniffFile(f('truncated.mp4'));
    expect(sniffed?.kind).toBe('video');
    const err = await expectMediaError(probeFile(f('truncated.mp4'), sniffed!), 'media_corrupt');
    expect(err.message).not.toContain(tmp.dir);
  });

  it('zero-byte file is corrupt', async () => {
    await expectMediaError(
      probeFile(f('empty.bin'), { mime: 'video/mp4', ext: 'mp4', kind: 'video' }),
      'media_corrupt',
    );
  });

  it('enforces duration and pixel limits', async () => {
    const sniffed = (await sniffFile(f('clip.mp4')))!;
    await expectMediaError(probeFile(f('clip.mp4'), sniffed, { maxDurationSeconds: 0.5 }), 'media_too_large');
    await expectMediaError(probeFile(f('clip.mp4'), sniffed, { maxPixels: 100 * 50 }), 'media_too_large');
  });
});

describe('probeFile: images', () => {
  it('png with alpha', async () => {
    const { probe } = await sniffAndProbe(f('alpha.png'));
    expect(probe).toMatchObject({
      kind: 'image',
      type: 'image/png',
      width: 40,
      height: 30,
      transparency: true,
      animated: false,
      frames: 1,
      orientation: 'landscape',
    });
  });

  it('jpeg with EXIF orientation reports the displayed size', async () => {
    const { probe } = await sniffAndProbe(f('rotated.jpg'));
    expect(probe).toMatchObject({ width: 30, height: 40, orientation: 'portrait', transparency: false });
  });

  it.each(['anim.gif', 'anim.webp'])('animated %s', async (name) => {
    const { probe } = await sniffAndProbe(f(name));
    expect(probe).toMatchObject({ animated: true, frames: 3, width: 20, height: 10 });
    expect(probe.duration).toBeCloseTo(0.3, 2);
    expect(probe.fps).toBeCloseTo(10, 1);
  });

  it('avif and tiff', async () => {
    expect((await sniffAndProbe(f('square.avif'))).probe).toMatchObject({ width: 30, orientation: 'square' });
    expect((await sniffAndProbe(f('image.tiff'))).probe).toMatchObject({
      width: 30,
      height: 20,
      container: 'tiff',
    });
  });

  it('heic (decoded by the wasm decoder)', async () => {
    const { probe } = await sniffAndProbe(f('photo.heic'));
    expect(probe).toMatchObject({
      kind: 'image',
      mime: 'image/heic',
      width: 64,
      height: 48,
      container: 'heic',
    });
  });

  it('truncated jpeg is corrupt', async () => {
    await expectMediaError(
      probeFile(f('truncated.jpg'), { mime: 'image/jpeg', ext: 'jpg', kind: 'image' }),
      'media_corrupt',
    );
  });

  it('decompression bomb png is refused from its header, quickly', async () => {
    const started = Date.now();
    const err = await expectMediaError(
      probeFile(f('bomb.png'), { mime: 'image/png', ext: 'png', kind: 'image' }),
      'media_too_large',
    );
    expect(err.message).toContain('30000×30000');
    // from the header: decoding 900 megapixels would take far longer than this bound for a loaded machine
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
