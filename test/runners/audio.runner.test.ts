import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioKind } from '../../src/runners/audio.runner.js';
import { PermanentTaskError } from '../../src/runners/runner.js';
import { audioStream, ffmpeg, ffprobe, makeClip, makeTone, tempDir } from '../media/helpers.js';
import { makeContext, only } from './helpers.js';

const tmp = tempDir('mediary-audio-runner-');
const f = tmp.path;

async function run(input: string, options: Record<string, unknown> = {}, limits = {}) {
  const { ctx, progress } = makeContext(tmp.dir, 'audio', input, options, limits);
  const out = only((await audioKind.run(ctx)).outputs);
  return { out, progress };
}

async function fails(input: string, options: Record<string, unknown>, limits = {}): Promise<Error> {
  return run(input, options, limits).then(
    () => new Error('expected the task to fail'),
    (e: Error) => e,
  );
}

/** Average bits per second of the file's audio, from size and duration (muxer overhead included). */
function bitsPerSecond(path: string): number {
  const p = ffprobe(path) as ReturnType<typeof ffprobe> & { format: { size?: string } };
  return (Number(p.format.size) * 8) / Number(p.format.duration);
}

beforeAll(async () => {
  // white noise, not a sine: an encoder cannot shrink it below the bitrate it is given
  makeTone(f('tone.wav'), ['-c:a', 'pcm_s16le'], 3);
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'anoisesrc=duration=3:sample_rate=48000:amplitude=0.5',
    '-ac',
    '2',
    f('noise.wav'),
  ]);
  makeClip(f('clip.mp4'), { duration: 2, extra: ['-c:a', 'aac', '-shortest'] });
  makeClip(f('silent.mp4'), { duration: 1, audio: false });
  await sharp({ create: { width: 8, height: 8, channels: 3, background: '#abcdef' } })
    .png()
    .toFile(f('still.png'));
}, 60_000);

afterAll(() => tmp.cleanup());

describe('audio runner', () => {
  it('defaults to MP3, with naming from the options and progress to 100', async () => {
    const { out, progress } = await run(f('tone.wav'), { ref: 'audio', folder: 'a', filename: 't.mp3' });
    expect(out).toMatchObject({
      object: 'source',
      kind: 'audio',
      type: 'audio/mpeg',
      ext: 'mp3',
      ref: 'audio',
      folder: 'a',
      filename: 't.mp3',
      primary: true,
    });
    expect(out.facts).toMatchObject({ kind: 'audio', codec: 'mp3', hasVideo: false });
    expect(out.facts?.duration).toBeCloseTo(3, 0);
    expect(progress.mock.calls.at(-1)?.[0]).toBe(100);
  });

  it.each([
    ['mp3', 'mp3', 'mp3', 'audio/mpeg', 'mp3'],
    ['aac', 'aac', 'mov,mp4,m4a,3gp,3g2,mj2', 'audio/mp4; codecs="mp4a.40.2"', 'm4a'],
    ['ogg', 'opus', 'ogg', 'audio/ogg; codecs="opus"', 'ogg'],
    ['opus', 'opus', 'ogg', 'audio/ogg; codecs="opus"', 'opus'],
    ['wav', 'pcm_s16le', 'wav', 'audio/wav', 'wav'],
    ['flac', 'flac', 'flac', 'audio/flac', 'flac'],
    ['alac', 'alac', 'mov,mp4,m4a,3gp,3g2,mj2', 'audio/mp4; codecs="alac"', 'm4a'],
  ])('the sound of a video → %s', async (format, codec, container, type, ext) => {
    const { out } = await run(f('clip.mp4'), { format });
    expect(out.ext).toBe(ext);
    expect(out.type.split(';')[0]).toBe(type.split(';')[0]);
    const probe = ffprobe(out.localPath);
    expect(probe.streams).toHaveLength(1);
    expect(audioStream(probe)?.codec_name).toBe(codec);
    expect(probe.format.format_name).toBe(container);
    expect(Number(probe.format.duration)).toBeCloseTo(2, 0);
  });

  it.each([
    ['mp3', 64_000],
    ['mp3', 256_000],
    ['aac', 96_000],
    // Opus is always VBR: a target it meets on noise
    ['opus', 64_000],
  ])('%s at %i bps is roughly honoured', async (format, bitrate) => {
    const { out } = await run(f('noise.wav'), { format, bitrate });
    const actual = bitsPerSecond(out.localPath);
    expect(actual).toBeGreaterThan(bitrate * 0.75);
    expect(actual).toBeLessThan(bitrate * 1.25);
  });

  it('quality levels choose the bitrate when none is given', async () => {
    const low = bitsPerSecond((await run(f('noise.wav'), { quality: 'very_low' })).out.localPath);
    const high = bitsPerSecond((await run(f('noise.wav'), { quality: 'very_high' })).out.localPath);
    expect(high).toBeGreaterThan(low * 3);
  });

  it('start/end trim', async () => {
    const { out } = await run(f('tone.wav'), { format: 'wav', start: 0.5, end: 2 });
    expect(Number(ffprobe(out.localPath).format.duration)).toBeCloseTo(1.5, 1);
  });

  it('a video without audio fails permanently with a clear message', async () => {
    const err = await fails(f('silent.mp4'), {});
    expect(err).toBeInstanceOf(PermanentTaskError);
    expect(err.message).toMatch(/no audio stream/);
  });

  it('an image input, bad options and limits fail permanently', async () => {
    const image = await fails(f('still.png'), {});
    expect(image).toBeInstanceOf(PermanentTaskError);
    expect(image.message).toMatch(/needs an audio or a video input/);
    const bitrate = await fails(f('tone.wav'), { bitrate: 1_000_000 });
    expect(bitrate).toBeInstanceOf(PermanentTaskError);
    expect(bitrate.message).toContain('bitrate');
    const long = await fails(f('tone.wav'), {}, { maxDurationSeconds: 2 });
    expect(long).toBeInstanceOf(PermanentTaskError);
    expect(long.message).toMatch(/limit is 2 s/);
  });
});
