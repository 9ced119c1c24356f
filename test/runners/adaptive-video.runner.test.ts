// The adaptive_video runner on tiny generated sources: what the ladder promises, aligned segments, and the
// awkward inputs (no audio, odd sizes, variable frame rate, 10-bit, portrait, shorter than a segment, cancel).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMediaPlaylist } from '../../src/media/hls.js';
import { adaptiveVideoKind } from '../../src/runners/adaptive-video.runner.js';
import type { OutputSpec } from '../../src/runners/runner.js';
import { videoKind } from '../../src/runners/video.runner.js';
import { ffmpeg, ffprobe, makeClip, tempDir, videoStream } from '../media/helpers.js';
import { makeContext, only } from './helpers.js';

const tmp = tempDir('mediary-hls-runner-');
const f = tmp.path;

function run(input: string, options: Record<string, unknown> = {}) {
  const t = makeContext(tmp.dir, 'adaptive_video', input, options);
  return { ...t, result: adaptiveVideoKind.run(t.ctx) };
}

/** STREAM-INF attributes and URIs of a master playlist. */
function variants(master: string): { attrs: string; uri: string }[] {
  const lines = master.trim().split('\n');
  return lines.flatMap((l, i) =>
    l.startsWith('#EXT-X-STREAM-INF:') ? [{ attrs: l, uri: lines[i + 1] }] : [],
  );
}

function segmentDurations(out: OutputSpec, playlist: string): number[] {
  const text = readFileSync(join(dirname(out.localPath), playlist), 'utf8');
  return parseMediaPlaylist(text).segments.map((s) => s.duration);
}

beforeAll(() => {
  makeClip(f('720p.mp4'), { size: '1280x720', duration: 5, extra: ['-c:a', 'aac', '-shortest'] });
  makeClip(f('odd.mp4'), {
    size: '852x480',
    duration: 2,
    audio: false,
    // testsrc2 rounds to even sizes; 4:4:4 keeps the odd ones
    video: ['-vf', 'scale=853:481', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'],
  });
  makeClip(f('portrait.mp4'), { size: '360x640', duration: 2 });
  makeClip(f('short.mp4'), { size: '320x180', duration: 2 });
  makeClip(f('ten-bit.mp4'), {
    size: '320x180',
    duration: 2,
    video: [
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p10le',
      '-x265-params',
      'log-level=error',
    ],
  });
  // variable frame rate: frames at uneven times, kept as they are (-vsync vfr)
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x180:rate=30:duration=3',
    '-vf',
    "select='not(mod(n\\,3))+lt(t\\,1)',setpts=N/TB/30*if(lt(T\\,1)\\,1\\,3)",
    '-vsync',
    'vfr',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    f('vfr.mp4'),
  ]);
  makeClip(f('long.mp4'), { size: '640x360', duration: 60, audio: false });
}, 120_000);

afterAll(() => tmp.cleanup());

describe('adaptive_video runner', () => {
  it('720p source: 720/480/360/240 renditions, shared audio, aligned segments, measured master, progress', async () => {
    const { result, progress } = run(f('720p.mp4'), { segment_duration: 2, ref: 'hls' });
    const out = only((await result).outputs);
    expect(out).toMatchObject({
      kind: 'video',
      type: 'application/vnd.apple.mpegurl',
      ext: 'm3u8',
      ref: 'hls',
    });
    expect(out.facts).toMatchObject({ width: 1280, height: 720, container: 'hls', codec: 'h264' });
    expect(out.facts?.duration).toBeCloseTo(5, 0);
    const master = readFileSync(out.localPath, 'utf8');
    const vs = variants(master);
    expect(vs.map((v) => /RESOLUTION=(\d+x\d+)/.exec(v.attrs)?.[1])).toEqual([
      '1280x720',
      '854x480',
      '640x360',
      '426x240',
    ]);
    for (const v of vs) {
      expect(v.attrs).toMatch(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,/);
      expect(v.attrs).toMatch(/CODECS="avc1\.64[0-9A-F]{4},mp4a\.40\.2"/);
      expect(v.attrs).toContain('FRAME-RATE=25.000');
      expect(v.attrs).toContain('AUDIO="audio"');
    }
    expect(master).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"');
    // keyframes aligned: every rendition cuts its segments at the same instants
    const cuts = vs.map((v) => segmentDurations(out, v.uri));
    expect(cuts[0].length).toBeGreaterThanOrEqual(3);
    for (const c of cuts) expect(c).toEqual(cuts[0]);
    const names = (out.parts ?? []).map((p) => p.name);
    expect(names.filter((n) => /^720p\/init.*\.mp4$/.test(n))).toHaveLength(1);
    expect(names).toContain('audio/index.m3u8');
    expect(names.filter((n) => n.endsWith('.m4s')).length).toBeGreaterThan(8);
    expect(readFileSync(join(dirname(out.localPath), '240p/index.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
    const percents = progress.mock.calls.map((c) => c[0]);
    expect(percents.at(-1)).toBe(100);
  }, 120_000);

  it('no audio, odd dimensions: even sizes, no audio group', async () => {
    const out = only((await run(f('odd.mp4')).result).outputs);
    const master = readFileSync(out.localPath, 'utf8');
    expect(master).not.toContain('TYPE=AUDIO');
    expect(variants(master).map((v) => /RESOLUTION=(\d+x\d+)/.exec(v.attrs)?.[1])).toEqual([
      '852x480',
      '638x360',
      '426x240',
    ]);
    expect(variants(master)[0].attrs).toMatch(/CODECS="avc1\.[0-9A-F]{6}"/);
  }, 120_000);

  it('portrait: the short side is the rung; a 2-s clip is one short segment', async () => {
    const out = only((await run(f('portrait.mp4')).result).outputs);
    const master = readFileSync(out.localPath, 'utf8');
    expect(variants(master).map((v) => /RESOLUTION=(\d+x\d+)/.exec(v.attrs)?.[1])).toEqual([
      '360x640',
      '240x426',
    ]);
    expect(out.facts).toMatchObject({ width: 360, height: 640 });
    expect(segmentDurations(out, '360p/index.m3u8')).toHaveLength(1);
  }, 120_000);

  it('10-bit and variable-frame-rate sources become 8-bit constant-rate renditions; TS segments on request', async () => {
    const ten = only((await run(f('ten-bit.mp4')).result).outputs);
    const seg = join(dirname(ten.localPath), '180p/seg_00000.m4s');
    expect(existsSync(seg)).toBe(true);
    const vfr = only((await run(f('vfr.mp4'), { segment_format: 'ts', segment_duration: 1 }).result).outputs);
    const ts = join(dirname(vfr.localPath), '180p/seg_00000.ts');
    const probe = ffprobe(ts);
    expect(videoStream(probe)).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: 320 });
    const cuts = segmentDurations(vfr, '180p/index.m3u8');
    expect(cuts.length).toBeGreaterThanOrEqual(2);
    for (const d of cuts.slice(0, -1)) expect(Math.abs(d - 1)).toBeLessThan(0.15);
  }, 120_000);

  it('a cancel mid-way kills ffmpeg and leaves no parts in the work dir', async () => {
    const { result, abort, progress, ctx } = run(f('long.mp4'));
    const failed = result.then(
      () => null,
      (e: Error) => e,
    );
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (progress.mock.calls.length > 0 || existsSync(join(ctx.workDir, 'hls', '360p'))) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
    abort.abort(new Error('cancelled'));
    const err = await failed;
    expect(err).toBeInstanceOf(Error);
    expect(progress.mock.calls.at(-1)?.[0] ?? 0).toBeLessThan(100);
    // the engine removes the work dir after every run; nothing was handed over to be stored
    expect(readdirSync(ctx.workDir)).toEqual(['hls']);
  }, 120_000);

  it('{kind: video, format: hls} makes the same package; height + bitrate make one rung; the rest is refused', async () => {
    const t = makeContext(tmp.dir, 'video', f('short.mp4'), { format: 'hls', height: 180, bitrate: 300_000 });
    const out = only((await videoKind.run(t.ctx)).outputs);
    expect(out.type).toBe('application/vnd.apple.mpegurl');
    const vs = variants(readFileSync(out.localPath, 'utf8'));
    expect(vs).toHaveLength(1);
    expect(vs[0].attrs).toContain('RESOLUTION=320x180');
    for (const bad of [{ width: 640 }, { codec: 'vp9' }, { height: '50%' }, { bitrate: 400_000 }]) {
      const ctx = makeContext(tmp.dir, 'video', f('short.mp4'), { format: 'hls', ...bad }).ctx;
      await expect(videoKind.run(ctx)).rejects.toThrow(/format hls/);
    }
  }, 120_000);

  it('thumbnails: an I-frame playlist per rendition whose byte ranges are the key frames', async () => {
    const out = only((await run(f('short.mp4'), { thumbnails: true, segment_duration: 1 }).result).outputs);
    const master = readFileSync(out.localPath, 'utf8');
    const line = master.split('\n').find((l) => l.startsWith('#EXT-X-I-FRAME-STREAM-INF:'));
    expect(line).toMatch(
      /BANDWIDTH=\d+,RESOLUTION=320x180,CODECS="avc1\.[0-9A-F]{6}",URI="180p\/iframes\.m3u8"/,
    );
    const dir = join(dirname(out.localPath), '180p');
    const text = readFileSync(join(dir, 'iframes.m3u8'), 'utf8');
    expect(text).toContain('#EXT-X-I-FRAMES-ONLY');
    const ranges = [...text.matchAll(/#EXT-X-BYTERANGE:(\d+)@(\d+)\n(\S+)/g)];
    expect(ranges.length).toBe(2);
    // each range, after the init segment, decodes to exactly one key frame
    const init = readFileSync(join(dir, /URI="([^"]+)"/.exec(text)![1]));
    for (const [, len, off, uri] of ranges) {
      const seg = readFileSync(join(dir, uri)).subarray(Number(off), Number(off) + Number(len));
      const probe = join(dir, `probe-${off}.mp4`);
      writeFileSync(probe, Buffer.concat([init, seg]));
      const frames = execFileSync(
        'ffprobe',
        ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', probe],
        { encoding: 'utf8' },
      )
        .trim()
        .split('\n');
      expect(frames.map((l) => l.split(',')[0])).toEqual(['1']);
    }
    expect((out.parts ?? []).map((p) => p.name)).toContain('180p/iframes.m3u8');
  }, 120_000);

  it('refuses unknown options and sizes', async () => {
    await expect(run(f('short.mp4'), { renditions: [{ height: 10 }] }).result).rejects.toThrow(/renditions/);
  });
});
