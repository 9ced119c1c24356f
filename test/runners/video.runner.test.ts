import { readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.js';
import { ffmpegEncoders } from '../../src/media/ffmpeg.js';
import { PermanentTaskError } from '../../src/runners/runner.js';
import { videoKind } from '../../src/runners/video.runner.js';
import { audioStream, ffmpeg, ffprobe, makeClip, tempDir, videoStream } from '../media/helpers.js';
import { makeContext, only } from './helpers.js';

const tmp = tempDir('mediary-video-runner-');
const f = tmp.path;

function run(input: string, options: Record<string, unknown> = {}, limits = {}) {
  const t = makeContext(tmp.dir, 'video', input, options, limits);
  return { ...t, result: videoKind.run(t.ctx) };
}

async function fails(input: string, options: Record<string, unknown>, limits = {}): Promise<Error> {
  const err = await run(input, options, limits).result.then(
    () => new Error('expected the task to fail'),
    (e: Error) => e,
  );
  return err;
}

/** Top-level MP4 box types in file order. */
function topBoxes(path: string): string[] {
  const buf = readFileSync(path);
  const types: string[] = [];
  for (let p = 0; p + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(p);
    types.push(buf.toString('latin1', p + 4, p + 8));
    if (size < 8) break;
    p += size;
  }
  return types;
}

const fps = (rate: unknown) => {
  const [n, d] = String(rate).split('/').map(Number);
  return n / (d || 1);
};

beforeAll(() => {
  makeClip(f('clip.mp4'), { size: '320x180', duration: 2, extra: ['-c:a', 'aac', '-shortest'] });
  makeClip(f('silent.mp4'), { size: '160x90', duration: 1, audio: false });
  makeClip(f('long.mp4'), { size: '320x180', duration: 20, audio: false });
  writeFileSync(f('broken.mp4'), readFileSync(f('clip.mp4')).subarray(0, 2000));
}, 60_000);

afterAll(() => tmp.cleanup());

describe('video runner', () => {
  it('defaults to H.264/AAC MP4 at the same size and rate, fast start, with progress', async () => {
    const { result, progress } = run(f('clip.mp4'), { ref: 'web', folder: 'clips', filename: 'a.mp4' });
    const out = only((await result).outputs);
    expect(out).toMatchObject({
      object: 'source',
      kind: 'video',
      ext: 'mp4',
      ref: 'web',
      folder: 'clips',
      filename: 'a.mp4',
      primary: true,
    });
    expect(out.type).toMatch(/^video\/mp4; codecs="avc1\.[0-9a-f]{6}, mp4a\.40\.2"$/);
    expect(out.facts).toMatchObject({ width: 320, height: 180, codec: 'h264', audioCodec: 'aac' });
    expect(out.facts?.duration).toBeCloseTo(2, 0);
    const probe = ffprobe(out.localPath);
    expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(fps(videoStream(probe)?.avg_frame_rate)).toBeCloseTo(25, 0);
    expect(audioStream(probe)?.codec_name).toBe('aac');
    const boxes = topBoxes(out.localPath);
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));

    const percents = progress.mock.calls.map((c) => c[0]);
    expect(percents.at(-1)).toBe(100);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });

  it.each([
    [{ width: 160 }, 160, 90],
    [{ height: 90 }, 160, 90],
    [{ width: '50%' }, 160, 90],
    [{ height: '25%', width: '50%' }, 160, 46],
    [{ width: 100, height: 100 }, 100, 100],
  ])('size %o → %i×%i', async (options, w, h) => {
    const out = only((await run(f('clip.mp4'), { ...options, end: 0.5 }).result).outputs);
    expect(videoStream(ffprobe(out.localPath))).toMatchObject({ width: w, height: h });
    expect(out.facts).toMatchObject({ width: w, height: h });
  });

  it('cover fills the box; contain pads with the background at the anchored side', async () => {
    const cover = only(
      (await run(f('clip.mp4'), { width: 90, height: 90, fit: 'cover', end: 0.5 }).result).outputs,
    );
    expect(videoStream(ffprobe(cover.localPath))).toMatchObject({ width: 90, height: 90 });

    const contain = only(
      (
        await run(f('clip.mp4'), {
          width: 160,
          height: 160,
          fit: 'contain',
          position: 'top',
          background: '#00FF00',
          end: 0.5,
        }).result
      ).outputs,
    );
    expect(videoStream(ffprobe(contain.localPath))).toMatchObject({ width: 160, height: 160 });
    ffmpeg(['-i', contain.localPath, '-frames:v', '1', f('contain.png')]);
    // 320×180 scaled into 160×160 is 160×90 at the top; the 70 rows below are the background
    const { data, info } = await sharp(f('contain.png')).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels)].slice(0, 3);
    const [r, g, b] = at(80, 150);
    expect(g).toBeGreaterThan(200);
    expect(r + b).toBeLessThan(80);
  });

  it('fps and trim', async () => {
    const out = only((await run(f('clip.mp4'), { fps: 10, start: 0.5, end: 1.5 }).result).outputs);
    const probe = ffprobe(out.localPath);
    expect(fps(videoStream(probe)?.avg_frame_rate)).toBeCloseTo(10, 0);
    expect(Number(probe.format.duration)).toBeGreaterThan(0.85);
    expect(Number(probe.format.duration)).toBeLessThan(1.15);
  });

  it('no_audio drops the audio stream', async () => {
    const out = only((await run(f('clip.mp4'), { no_audio: true, end: 0.5 }).result).outputs);
    expect(audioStream(ffprobe(out.localPath))).toBeUndefined();
    expect(out.facts?.hasAudio).toBe(false);
  });

  it('an input without audio gives a video without audio', async () => {
    const out = only((await run(f('silent.mp4')).result).outputs);
    expect(ffprobe(out.localPath).streams.map((s) => s.codec_type)).toEqual(['video']);
  });

  it('webm is VP9 + Opus', async () => {
    const out = only((await run(f('clip.mp4'), { format: 'webm', end: 0.5 }).result).outputs);
    expect(out).toMatchObject({ ext: 'webm', type: 'video/webm; codecs="vp9, opus"' });
    const probe = ffprobe(out.localPath);
    expect(probe.format.format_name).toContain('webm');
    expect(videoStream(probe)?.codec_name).toBe('vp9');
    expect(audioStream(probe)?.codec_name).toBe('opus');
  });

  it('h265 in MP4 is tagged hvc1; mov is QuickTime', async () => {
    const hevc = only((await run(f('clip.mp4'), { codec: 'h265', end: 0.5 }).result).outputs);
    expect(hevc.type).toBe('video/mp4; codecs="hvc1, mp4a.40.2"');
    expect(videoStream(ffprobe(hevc.localPath))?.codec_name).toBe('hevc');

    const mov = only((await run(f('clip.mp4'), { format: 'mov', end: 0.5 }).result).outputs);
    expect(mov.ext).toBe('mov');
    expect(mov.type).toMatch(/^video\/quicktime/);
    expect(ffprobe(mov.localPath).format.format_name).toContain('mov');
  });

  it('av1 in MP4 and WebM when this ffmpeg has an AV1 encoder', async (t) => {
    const encoders = await ffmpegEncoders();
    if (!encoders.has('libsvtav1') && !encoders.has('libaom-av1')) {
      t.skip('this ffmpeg has neither libsvtav1 nor libaom-av1');
    }
    const mp4 = only((await run(f('clip.mp4'), { codec: 'av1', end: 0.5 }).result).outputs);
    expect(videoStream(ffprobe(mp4.localPath))?.codec_name).toBe('av1');
    const webm = only((await run(f('clip.mp4'), { codec: 'av1', format: 'webm', end: 0.5 }).result).outputs);
    expect(webm.type).toBe('video/webm; codecs="av01, opus"');
  });

  it('quality levels and a bitrate are accepted', async () => {
    const low = only((await run(f('clip.mp4'), { quality: 'very_low', end: 1 }).result).outputs);
    const high = only((await run(f('clip.mp4'), { quality: 95, end: 1 }).result).outputs);
    expect(high.facts!.filesize!).toBeGreaterThan(low.facts!.filesize!);
    const capped = only((await run(f('clip.mp4'), { bitrate: 300_000, end: 1 }).result).outputs);
    expect(videoStream(ffprobe(capped.localPath))?.codec_name).toBe('h264');
  });

  it('every speed gives a playable video at the asked size; fastest spends more bytes than best', async () => {
    const sizes: Record<string, number> = {};
    for (const speed of ['fastest', 'fast', 'balanced', 'best']) {
      const out = only((await run(f('clip.mp4'), { speed, width: 160, end: 1 }).result).outputs);
      expect(videoStream(ffprobe(out.localPath))).toMatchObject({
        codec_name: 'h264',
        width: 160,
        height: 90,
      });
      sizes[speed] = out.facts!.filesize!;
    }
    expect(sizes.fastest).toBeGreaterThan(sizes.best);
    const vp9 = only((await run(f('clip.mp4'), { format: 'webm', speed: 'fastest', end: 1 }).result).outputs);
    expect(videoStream(ffprobe(vp9.localPath))?.codec_name).toBe('vp9');
  });

  it('an unknown speed is a permanent error naming the option', async () => {
    const err = await fails(f('clip.mp4'), { speed: 'ludicrous' });
    expect(err).toBeInstanceOf(PermanentTaskError);
    expect(err.message).toContain('speed');
  });

  it('a codec that does not fit the container is a permanent error naming the option', async () => {
    const err = await fails(f('clip.mp4'), { format: 'webm', codec: 'h264' });
    expect(err).toBeInstanceOf(PermanentTaskError);
    expect(err.message).toMatch(/codec h264 .*webm/);
  });

  it('options the schema refuses are a permanent error', async () => {
    const err = await fails(f('clip.mp4'), { fps: 500 });
    expect(err).toBeInstanceOf(PermanentTaskError);
    expect(err.message).toContain('fps');
  });

  it('start past the end is a permanent error', async () => {
    const err = await fails(f('clip.mp4'), { start: 5 });
    expect(err).toBeInstanceOf(PermanentTaskError);
    expect(err.message).toContain('start');
  });

  it('limits are enforced before encoding', async () => {
    const long = await fails(f('clip.mp4'), {}, { maxDurationSeconds: 1 });
    expect(long).toBeInstanceOf(PermanentTaskError);
    expect(long.message).toMatch(/limit is 1 s/);
    const big = await fails(f('clip.mp4'), {}, { maxPixels: 10_000 });
    expect(big).toBeInstanceOf(PermanentTaskError);
    const upscale = await fails(f('silent.mp4'), { width: 8000, height: 8000 }, { maxPixels: 20_000_000 });
    expect(upscale).toBeInstanceOf(PermanentTaskError);
    expect(upscale.message).toMatch(/8000×8000/);
  });

  it('a corrupt input or an image is a permanent error', async () => {
    expect(await fails(f('broken.mp4'), {})).toBeInstanceOf(PermanentTaskError);
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } })
      .png()
      .toFile(f('still.png'));
    const err = await fails(f('still.png'), {});
    expect(err).toBeInstanceOf(PermanentTaskError);
    expect(err.message).toMatch(/needs a video input; this file is an image/);
  });

  it('reports rising progress and stops promptly when the signal is aborted', async () => {
    const startedAt = Date.now();
    const { ctx, result, progress, abort } = run(f('long.mp4'), { format: 'webm' });
    let abortedAt = 0;
    progress.mockImplementation(() => {
      const mid = progress.mock.calls.map((c) => c[0]).filter((p) => p > 0 && p < 100);
      if (mid.length >= 2 && !abortedAt) {
        abortedAt = Date.now();
        abort.abort();
      }
    });
    const err = await result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(abortedAt).toBeGreaterThan(0);
    // promptly: an abort that waited for ffmpeg to finish would take about as long again as the few
    // percent before it, many times over; the bound grows with a loaded machine's pace, never below 5 s
    const reachedIn = abortedAt - startedAt;
    expect(Date.now() - abortedAt).toBeLessThan(Math.max(5_000, 2 * reachedIn));
    // a cancel is not the input's fault: the engine decides, so it is not permanent
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('cancelled');
    expect(ctx.signal.aborted).toBe(true);
    const percents = progress.mock.calls.map((c) => c[0]);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(percents).size).toBeGreaterThanOrEqual(2);
    expect(Math.max(...percents)).toBeLessThan(100);
  });
});
