// What tasks rely on to avoid reading their files twice: header-only probes, probes remembered by file
// identity (with the caller's limits applied every time), and output facts taken from what sharp reported.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.js';
import { ffprobeJson, startFfprobe } from '../../src/media/ffmpeg.js';
import { imageMetadata, transformImage } from '../../src/media/image.js';
import { probeFile, probeImageOutput, probeMedia } from '../../src/media/probe.js';
import { sniffFile } from '../../src/media/sniff.js';
import { ffmpeg, makeClip, tempDir } from './helpers.js';

const tmp = tempDir('mediary-probe-reuse-');
const f = tmp.path;

async function mediaError(p: Promise<unknown>): Promise<MediaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  return err as MediaError;
}

beforeAll(async () => {
  // moov in front, tail cut off: the headers read fine, the last seconds do not decode
  makeClip(f('whole.mp4'), { duration: 3, extra: ['-movflags', '+faststart', '-shortest'] });
  const whole = readFileSync(f('whole.mp4'));
  writeFileSync(f('cut.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
  makeClip(f('clip.mp4'), { duration: 2, extra: ['-shortest'] });
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', f('whole.jpg')]);
  const jpeg = readFileSync(f('whole.jpg'));
  writeFileSync(f('cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } })
    .png()
    .toFile(f('opaque.png'));
  await sharp({
    create: { width: 40, height: 30, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
  })
    .png()
    .toFile(f('alpha.png'));
  await sharp({
    create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 255, b: 0, alpha: 1 } },
  })
    .png()
    .toFile(f('opaque-alpha.png'));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#abcdef' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toFile(f('rotated.jpg'));
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=32x24:rate=10:duration=0.5', f('anim.gif')]);
  writeFileSync(f('notes.txt'), 'not media');
  makeClip(f('fast.mov'), { extra: ['-c:a', 'aac', '-movflags', '+faststart', '-shortest'] });
  makeClip(f('clip.webm'), {
    video: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '200k'],
    extra: ['-c:a', 'libopus', '-shortest'],
  });
}, 60_000);

afterAll(() => tmp.cleanup());

describe('header-only probes', () => {
  it('verify: false reads headers only; a later verifying probe still decodes', async () => {
    for (const name of ['cut.mp4', 'cut.jpg']) {
      const sniffed = (await sniffFile(f(name)))!;
      const probe = await probeFile(f(name), sniffed, {}, { verify: false });
      expect(probe.width).toBeGreaterThan(0);
      // the header-only answer above is remembered, but it does not stand in for a verified one
      expect((await mediaError(probeFile(f(name), sniffed))).code).toBe('media_corrupt');
    }
  });
});

describe('probes remembered by file identity', () => {
  it('probeMedia sniffs and probes; null for what is not media', async () => {
    const found = await probeMedia(f('clip.mp4'));
    expect(found?.sniffed).toMatchObject({ kind: 'video', ext: 'mp4' });
    expect(found?.probe).toMatchObject({ kind: 'video', hasAudio: true });
    expect(await probeMedia(f('notes.txt'))).toBeNull();
  });

  it('gives the same answer again, with the limits of each call applied', async () => {
    const first = await probeMedia(f('clip.mp4'), {}, { verify: false });
    const again = await probeMedia(f('clip.mp4'), {}, { verify: false });
    expect(again).toEqual(first);
    const long = await mediaError(probeMedia(f('clip.mp4'), { maxDurationSeconds: 1 }, { verify: false }));
    expect(long.code).toBe('media_too_large');
    const big = await mediaError(probeMedia(f('clip.mp4'), { maxPixels: 100 }, { verify: false }));
    expect(big.code).toBe('media_too_large');
    const image = await mediaError(probeMedia(f('alpha.png'), { maxPixels: 100 }));
    expect(image.message).toContain('40×30');
    // what a caller does to its copy does not reach the next one
    again!.probe.width = 1;
    expect((await probeMedia(f('clip.mp4'), {}, { verify: false }))?.probe.width).toBe(first?.probe.width);
  });

  it('a different file renamed over the path is probed afresh', async () => {
    await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } })
      .png()
      .toFile(f('swap.png'));
    expect((await probeMedia(f('swap.png')))?.probe.width).toBe(10);
    await sharp({ create: { width: 12, height: 10, channels: 3, background: '#000' } })
      .png()
      .toFile(f('swap-next.png'));
    renameSync(f('swap-next.png'), f('swap.png'));
    expect((await probeMedia(f('swap.png')))?.probe.width).toBe(12);
  });
});

describe('probeImageOutput', () => {
  const inputs = ['opaque.png', 'alpha.png', 'opaque-alpha.png', 'rotated.jpg', 'anim.gif'];
  const formats = [undefined, 'jpeg', 'png', 'webp', 'avif', 'gif'];
  it.each(inputs)('%s: the facts of every output equal a probe of the written file', async (input) => {
    let n = 0;
    for (const format of formats) {
      for (const size of [{}, { width: 17 }]) {
        const meta = await imageMetadata(f(input));
        const out = f(`out-${input}-${n++}`);
        const made = await transformImage(f(input), out, { format, ...size }, {}, meta);
        const facts = await probeImageOutput(out, made);
        const probed = await probeFile(out, (await sniffFile(out))!);
        expect({ format, size, facts }).toEqual({ format, size, facts: probed });
      }
    }
  });
});

describe('startFfprobe', () => {
  it.each(['whole.mp4', 'fast.mov', 'clip.webm'])(
    '%s: reading from its stdin gives ffprobeJson’s answer',
    async (name) => {
      const early = await startFfprobe();
      expect(await early.read(f(name))).toEqual(await ffprobeJson(f(name)));
    },
  );

  it('cancelled, or aborted through its signal, it reads nothing', async () => {
    const early = await startFfprobe();
    early.cancel();
    expect((await mediaError(early.read(f('whole.mp4')))).code).toBe('cancelled');
    const abort = new AbortController();
    const aborted = await startFfprobe({ signal: abort.signal });
    abort.abort();
    expect((await mediaError(aborted.read(f('whole.mp4')))).code).toBe('cancelled');
  });

  it('what is not media is media_corrupt, as with ffprobeJson', async () => {
    const early = await startFfprobe();
    expect((await mediaError(early.read(f('notes.txt')))).code).toBe('media_corrupt');
  });
});
