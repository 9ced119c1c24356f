import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.js';
import {
  createProgressParser,
  extractFrame,
  ffmpegEncoders,
  ffprobeJson,
  type ProgressInfo,
  runFfmpeg,
  scrubPaths,
} from '../../src/media/ffmpeg.js';
import { resolveTools } from '../../src/media/tools.js';
import { makeClip, tempDir } from './helpers.js';

const tmp = tempDir();
const f = tmp.path;
afterAll(() => tmp.cleanup());

const lavfi = (seconds: number) => ['-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=25:duration=${seconds}`];

async function rejection(p: Promise<unknown>): Promise<MediaError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  return err as MediaError;
}

describe('resolveTools', () => {
  it('finds ffmpeg and ffprobe on PATH', async () => {
    const tools = await resolveTools();
    expect(tools.ffmpegPath).toMatch(/ffmpeg$/);
    expect(tools.ffprobePath).toMatch(/ffprobe$/);
  });

  it('prefers the configured paths and rejects a wrong one', async () => {
    const ffmpegPath = execFileSync('which', ['ffmpeg'], { encoding: 'utf8' }).trim();
    expect((await resolveTools({ ffmpegPath })).ffmpegPath).toBe(ffmpegPath);
    const err = await rejection(resolveTools({ ffprobePath: '/nonexistent/ffprobe' }));
    expect(err.code).toBe('tool_missing');
  });
});

describe('runFfmpeg', () => {
  it('reports increasing progress and ends at 100', async () => {
    const seen: ProgressInfo[] = [];
    await runFfmpeg(
      [
        '-y',
        '-re',
        ...lavfi(1.5),
        '-stats_period',
        '0.1',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        f('p.mp4'),
      ],
      { durationSeconds: 1.5, onProgress: (p) => seen.push(p) },
    );
    const percents = seen.map((p) => p.percent);
    expect(percents.length).toBeGreaterThan(3);
    expect(percents.at(-1)).toBe(100);
    expect(percents.filter((p) => p > 0 && p < 100).length).toBeGreaterThan(1);
    for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]);
    expect(seen.some((p) => p.etaSeconds !== null && p.etaSeconds >= 0)).toBe(true);
  });

  it('abort kills ffmpeg and rejects as cancelled', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const run = runFfmpeg(
      ['-y', '-re', ...lavfi(30), '-c:v', 'libx264', '-preset', 'ultrafast', f('a.mp4')],
      {
        durationSeconds: 30,
        signal: ac.signal,
        onProgress: () => ac.abort(),
      },
    );
    const err = await rejection(run);
    expect(err.code).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an already aborted signal never starts ffmpeg', async () => {
    const err = await rejection(
      runFfmpeg(['-y', ...lavfi(1), f('never.mp4')], { signal: AbortSignal.abort() }),
    );
    expect(err.code).toBe('cancelled');
    expect(existsSync(f('never.mp4'))).toBe(false);
  });

  it('a stalled ffmpeg (input never delivers) is killed by the watchdog', async () => {
    execFileSync('mkfifo', [f('never.fifo')]);
    const started = Date.now();
    // opening a FIFO nobody writes blocks forever: no progress line ever appears
    const err = await rejection(
      runFfmpeg(['-y', '-f', 'rawvideo', '-s', '16x16', '-i', f('never.fifo'), f('s.mp4')], {
        stallTimeoutMs: 400,
      }),
    );
    expect(err.code).toBe('stalled');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('the overall timeout kills a long run', async () => {
    const err = await rejection(
      runFfmpeg(['-y', '-re', ...lavfi(30), '-c:v', 'libx264', '-preset', 'ultrafast', f('t.mp4')], {
        timeoutMs: 500,
      }),
    );
    expect(err.code).toBe('timeout');
  });

  it('a failing ffmpeg rejects with its stderr, without temp paths', async () => {
    const err = await rejection(runFfmpeg(['-y', '-i', f('missing-input.mp4'), f('out.mp4')]));
    expect(err.code).toBe('ffmpeg_failed');
    expect(err.message).toContain('missing-input.mp4');
    expect(err.message).not.toContain(tmp.dir);
  });
});

describe('progress parser', () => {
  it('turns out_time_us into percent and ETA, and end into 100', () => {
    let clock = 0;
    const seen: ProgressInfo[] = [];
    const feed = createProgressParser(
      10,
      (p) => seen.push(p),
      () => clock,
    );
    clock = 1000;
    feed('frame=10\nout_time_us=2000000\nout_time=00:00:02.000000\nprogress=cont');
    feed('inue\n');
    clock = 2000;
    feed('out_time_us=N/A\nprogress=continue\nout_time_ms=5000000\nprogress=continue\nprogress=end\n');
    expect(seen).toEqual([
      { percent: 20, etaSeconds: 4, outTimeSeconds: 2 },
      { percent: 20, etaSeconds: 8, outTimeSeconds: 2 },
      { percent: 50, etaSeconds: 2, outTimeSeconds: 5 },
      { percent: 100, etaSeconds: 0, outTimeSeconds: 5 },
    ]);
  });

  it('without a duration reports 0 until the end', () => {
    const seen: number[] = [];
    const feed = createProgressParser(undefined, (p) => seen.push(p.percent));
    feed('out_time_us=1000000\nprogress=continue\nprogress=end\n');
    expect(seen).toEqual([0, 100]);
  });
});

describe('helpers', () => {
  it('scrubPaths keeps only base names', () => {
    expect(scrubPaths('/tmp/mediary-x/in.mp4: No such file or directory', ['/tmp/mediary-x/in.mp4'])).toBe(
      'in.mp4: No such file or directory',
    );
    expect(scrubPaths('Error opening /var/lib/mediary/tmp/abc/out.webm for writing')).toBe(
      'Error opening out.webm for writing',
    );
    expect(scrubPaths('frame rate 30000/1001 ok')).toBe('frame rate 30000/1001 ok');
  });

  it('ffmpegEncoders lists libx264', async () => {
    expect((await ffmpegEncoders()).has('libx264')).toBe(true);
  });

  it('ffprobeJson reads streams; extractFrame grabs a frame, also past the end', async () => {
    makeClip(f('c.mp4'), { audio: false });
    const info = await ffprobeJson(f('c.mp4'));
    expect(info.streams[0].codec_name).toBe('h264');
    await extractFrame(f('c.mp4'), f('frame.png'), 0.5);
    expect(await sharp(f('frame.png')).metadata()).toMatchObject({ width: 160, height: 90, format: 'png' });
    await extractFrame(f('c.mp4'), f('late.jpg'), 99);
    expect(await sharp(f('late.jpg')).metadata()).toMatchObject({ width: 160, format: 'jpeg' });
  });
});
