// The intelligence kinds on the real local engines: pocketsphinx (through ffmpeg's asr) on speech made with
// espeak-ng, scdet on a video of three solid-colour scenes, nsfwjs on neutral generated pictures.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NsfwjsClassifier } from '../../src/ai/nsfwjs.js';
import { createAiProviders } from '../../src/ai/providers.js';
import { loadConfig } from '../../src/config.js';
import { intelligenceKinds } from '../../src/runners/registry.js';
import type { TaskKindDefinition } from '../../src/runners/runner.js';
import { ffmpeg, tempDir } from '../media/helpers.js';
import { makeContext, only } from '../runners/helpers.js';

const tmp = tempDir('mediary-ai-');
const ai = createAiProviders(loadConfig({ MEDIARY_DATA_DIR: tmp.dir }).ai);
const kinds = new Map(intelligenceKinds(ai).map((k) => [k.kind, k]));
const kind = (name: string) => kinds.get(name) as TaskKindDefinition;

const hasEspeak = (() => {
  try {
    execFileSync('espeak-ng', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();
const hasPocketsphinx = ai.speech?.name === 'pocketsphinx';

const SPOKEN = ['hello', 'world', 'test', 'speech', 'recognition', 'one', 'two', 'three', 'four', 'five'];
let speechWav = '';

async function run(name: string, input: string, options: Record<string, unknown> = {}) {
  const { ctx, progress } = makeContext(tmp.dir, name, input, options);
  const result = await kind(name).run(ctx);
  return { result, out: only(result.outputs), progress };
}

beforeAll(() => {
  if (!hasEspeak) return;
  // two sentences with a pause between them, in the voice pocketsphinx's model follows best
  const a = tmp.path('a.wav');
  const b = tmp.path('b.wav');
  execFileSync('espeak-ng', [
    '-v',
    'en-us+f2',
    '-s',
    '130',
    '-w',
    a,
    'hello world, this is a test of speech recognition.',
  ]);
  execFileSync('espeak-ng', ['-v', 'en-us+f2', '-s', '130', '-w', b, 'one two three four five']);
  speechWav = tmp.path('speech.wav');
  ffmpeg(['-i', a, '-i', b, '-filter_complex', '[0]apad=pad_dur=2[a];[a][1]concat=n=2:v=0:a=1', speechWav]);
});

afterAll(async () => {
  await ai.close();
  tmp.cleanup();
});

describe.skipIf(!hasEspeak || !hasPocketsphinx)('speech and subtitles with pocketsphinx', () => {
  it('speech: the transcript holds some of the spoken words, in time order', async () => {
    const { out, progress } = await run('speech', speechWav);
    expect(out).toMatchObject({ object: 'intelligence', kind: 'speech', type: 'application/json' });
    const body = JSON.parse(readFileSync(out.localPath, 'utf8'));
    expect(body).toMatchObject({ kind: 'speech', detected: true, language: 'en' });
    const words = new Set(body.text.join(' ').toLowerCase().split(/\W+/));
    expect(SPOKEN.filter((w) => words.has(w)).length).toBeGreaterThanOrEqual(1);
    expect(body.timeline.length).toBeGreaterThanOrEqual(1);
    for (const [i, e] of body.timeline.entries()) {
      expect(e.index).toBe(i);
      expect(e.end).toBeGreaterThanOrEqual(e.start);
      if (i > 0) expect(e.start).toBeGreaterThanOrEqual(body.timeline[i - 1].start);
    }
    // the speech lasts about 8 s; the recogniser's padding adds at most 2
    expect(body.timeline.at(-1).end).toBeLessThanOrEqual(10);
    expect(progress).toHaveBeenCalled();
  }, 60_000);

  it('speech: silence is detected: false', async () => {
    const silent = tmp.path('silent.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '3', silent]);
    const { out } = await run('speech', silent);
    expect(JSON.parse(readFileSync(out.localPath, 'utf8'))).toMatchObject({
      detected: false,
      text: [],
      timeline: [],
    });
  }, 30_000);

  it('subtitles: well-formed WebVTT and SRT', async () => {
    const vtt = await run('subtitles', speechWav);
    expect(vtt.out).toMatchObject({
      object: 'track',
      kind: 'subtitles',
      type: 'text/vtt',
      ext: 'vtt',
      language: 'en',
    });
    const text = readFileSync(vtt.out.localPath, 'utf8');
    expect(text.startsWith('WEBVTT')).toBe(true);
    const cues = text.split('\n\n').slice(1).filter(Boolean);
    expect(cues.length).toBeGreaterThanOrEqual(1);
    for (const cue of cues) {
      const [, timing, ...lines] = cue.trim().split('\n');
      const m = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$/.exec(timing);
      expect(m, timing).not.toBeNull();
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(2);
    }
    const srt = await run('subtitles', speechWav, { format: 'srt' });
    expect(srt.out).toMatchObject({ type: 'text/srt', ext: 'srt' });
    expect(readFileSync(srt.out.localPath, 'utf8')).toMatch(
      /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/,
    );
  }, 60_000);
});

describe('chapters', () => {
  it('three solid-colour scenes: chapter boundaries within 1 s of the cuts', async () => {
    const video = tmp.path('scenes.mp4');
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'color=c=red:s=160x90:r=10:d=4'],
      ...['-f', 'lavfi', '-i', 'color=c=green:s=160x90:r=10:d=4'],
      ...['-f', 'lavfi', '-i', 'color=c=blue:s=160x90:r=10:d=4'],
      ...['-filter_complex', '[0][1][2]concat=n=3:v=1:a=0', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', video],
    ]);
    const { out } = await run('chapters', video, { min_length: 1, format: 'json' });
    expect(out).toMatchObject({ object: 'track', kind: 'chapters' });
    const { chapters } = JSON.parse(readFileSync(out.localPath, 'utf8'));
    expect(chapters.map((c: { start: number }) => c.start)).toHaveLength(3);
    expect(chapters[0].start).toBe(0);
    expect(Math.abs(chapters[1].start - 4)).toBeLessThanOrEqual(1);
    expect(Math.abs(chapters[2].start - 8)).toBeLessThanOrEqual(1);
    expect(Math.abs(chapters[2].end - 12)).toBeLessThanOrEqual(0.5);
    expect(chapters.map((c: { title: string }) => c.title)).toEqual(['Chapter 1', 'Chapter 2', 'Chapter 3']);

    const vtt = await run('chapters', video, { min_length: 1 });
    expect(vtt.out.type).toBe('text/vtt');
    expect(readFileSync(vtt.out.localPath, 'utf8')).toMatch(
      /^WEBVTT\n\n1\n00:00:00\.000 --> 00:00:0[3-5]\.\d{3}\nChapter 1\n/,
    );
  }, 60_000);
});

describe('nsfw with nsfwjs', () => {
  it('neutral pictures are not detected, scores in range, the model loads once', async () => {
    const before = NsfwjsClassifier.loads;
    const pattern = tmp.path('pattern.png');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240', '-frames:v', '1', pattern]);
    const gradient = tmp.path('huge.jpg');
    // a large picture: decoded shrunk, never at full size
    await sharp({ create: { width: 6000, height: 4000, channels: 3, background: '#3a6ea5' } })
      .jpeg()
      .toFile(gradient);
    for (const file of [pattern, gradient]) {
      const { out } = await run('nsfw', file);
      const body = JSON.parse(readFileSync(out.localPath, 'utf8'));
      // the same shape as a vision model's; nsfwjs has no violence or gore model
      expect(body).toMatchObject({
        kind: 'nsfw',
        detected: false,
        categories: [],
        violence: null,
        gore: null,
      });
      for (const k of ['nudity', 'sexual', 'confidence']) {
        expect(body[k]).toBeGreaterThanOrEqual(0);
        expect(body[k]).toBeLessThanOrEqual(1);
      }
    }
    expect(NsfwjsClassifier.loads - before).toBeLessThanOrEqual(1);
    expect(NsfwjsClassifier.loads).toBe(1);
  }, 120_000);

  it('video: sampled frames with a timeline', async () => {
    const video = tmp.path('bars.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x240:r=10:d=5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    const { out } = await run('nsfw', video, { interval: 2 });
    const body = JSON.parse(readFileSync(out.localPath, 'utf8'));
    expect(body.detected).toBe(false);
    expect(body.timeline.length).toBe(3);
    expect(body.timeline.map((e: { start: number }) => e.start)).toEqual([0, 2, 4]);
    expect(NsfwjsClassifier.loads).toBe(1);
  }, 120_000);
});
