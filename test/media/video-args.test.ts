import { describe, expect, it } from 'vitest';
import { planAudio } from '../../src/media/audio-args.js';
import { OptionError } from '../../src/media/errors.js';
import {
  parseBitrate,
  parseColor,
  parsePosition,
  parseQuality,
  parseSize,
  parseSizeOption,
  parseTrim,
} from '../../src/media/options.js';
import {
  crfFor,
  encoderThreads,
  planVideo,
  tileColumnsLog2,
  videoGeometry,
} from '../../src/media/video-args.js';

const HD = { width: 1920, height: 1080, fps: 30, duration: 10, hasAudio: true };

function optionError(fn: () => unknown): OptionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error('expected an OptionError');
}

const argAfter = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
};

describe('options', () => {
  // the same ranges as the video and image task schemas: whole pixels 1–8192, whole percentages 1–999
  it.each([
    [640, 1920, 640],
    ['640', 1920, 640],
    ['640px', 1920, 640],
    [1, 1920, 1],
    [8192, 1920, 8192],
    ['50%', 1920, 960],
    ['33%', 90, 30],
    ['1%', 1920, 19],
    ['999%', 100, 999],
    [undefined, 1920, undefined],
  ])('parseSize(%s of %s) → %s', (value, side, px) => {
    expect(parseSize('width', value, side)).toBe(px);
  });

  it.each([
    ['abc'],
    [-5],
    [0],
    [100.5],
    ['100.5'],
    [8193],
    [99999],
    ['0%'],
    ['33.3%'],
    ['1000%'],
    ['-5%'],
    ['%'],
    ['10px%'],
  ])('parseSize rejects %s', (value) => {
    expect(optionError(() => parseSize('width', value, 100)).option).toBe('width');
  });

  it('parseSize refuses a percentage the encoders cannot write, and one without an input size', () => {
    expect(parseSize('height', '999%', 1640)).toBe(16384);
    expect(optionError(() => parseSize('height', '999%', 1641)).option).toBe('height');
    expect(optionError(() => parseSize('height', '50%')).option).toBe('height');
  });

  it('parseSizeOption takes the limits of the caller', () => {
    const tile = { maxPixels: 1920, maxPercent: 100 };
    expect(parseSizeOption('width', 1920, tile)).toEqual({ px: 1920 });
    expect(parseSizeOption('width', '100%', tile)).toEqual({ percent: 100 });
    expect(optionError(() => parseSizeOption('width', 1921, tile)).option).toBe('width');
    expect(optionError(() => parseSizeOption('width', '101%', tile)).option).toBe('width');
  });

  it.each([
    [1, 1],
    [100, 100],
    ['75', 75],
    ['very_high', 'very_high'],
    [undefined, undefined],
  ])('parseQuality(%s) → %s', (value, quality) => {
    expect(parseQuality(value)).toBe(quality);
  });

  it.each([[0], [101], [50.5], ['ultra']])('parseQuality rejects %s', (value) => {
    expect(optionError(() => parseQuality(value)).option).toBe('quality');
  });

  it.each([
    [32_000, 32_000],
    [320_000, 320_000],
    ['64000', 64_000],
    [undefined, undefined],
  ])('parseBitrate(%s) within 32000–320000 → %s', (value, bitrate) => {
    expect(parseBitrate(value, 32_000, 320_000)).toBe(bitrate);
  });

  it.each([[31_999], [320_001], [64_000.5], ['fast']])('parseBitrate rejects %s', (value) => {
    expect(optionError(() => parseBitrate(value, 32_000, 320_000)).option).toBe('bitrate');
  });

  it.each([
    ['center', 0.5, 0.5],
    ['top', 0.5, 0],
    ['bottom-right', 1, 1],
    ['left top', 0, 0],
    ['top_right', 1, 0],
    [undefined, 0.5, 0.5],
  ])('parsePosition(%s)', (value, x, y) => {
    expect(parsePosition(value)).toMatchObject({ x, y });
  });

  it.each(['middle-earth', 'left-right', 'top-top', 'top left right'])(
    'parsePosition rejects %s',
    (value) => {
      expect(optionError(() => parsePosition(value)).option).toBe('position');
    },
  );

  it('parseColor', () => {
    expect(parseColor('background', '#20B075')).toEqual({ r: 32, g: 176, b: 117, alpha: 1 });
    expect(parseColor('background', 'fff')).toEqual({ r: 255, g: 255, b: 255, alpha: 1 });
    expect(parseColor('background', '#00000080').alpha).toBeCloseTo(0.5, 2);
    expect(optionError(() => parseColor('background', 'green')).option).toBe('background');
  });

  it('parseTrim', () => {
    expect(parseTrim(2, 5, 10)).toEqual({ start: 2, end: 5, duration: 3 });
    expect(parseTrim(2, 50, 10)).toEqual({ start: 2, end: undefined, duration: 8 });
    expect(parseTrim(undefined, undefined, 10)).toEqual({ start: 0, end: undefined, duration: 10 });
    expect(optionError(() => parseTrim(5, 2, 10)).option).toBe('end');
    expect(optionError(() => parseTrim(12, undefined, 10)).option).toBe('start');
  });
});

describe('videoGeometry', () => {
  it.each([
    // input, options, expected size
    [HD, {}, 1920, 1080],
    [HD, { width: 960 }, 960, 540],
    [HD, { height: 720 }, 1280, 720],
    [HD, { width: '50%' }, 960, 540],
    [HD, { width: '25%', height: '50%' }, 480, 540],
    [{ width: 1080, height: 1920 }, { width: 405 }, 406, 720],
    [{ width: 161, height: 91 }, {}, 160, 90],
    [HD, { width: 641, height: 361, fit: 'contain' }, 642, 362],
  ] as const)('%o %o → %ix%i', (input, opts, w, h) => {
    const g = videoGeometry(input, opts);
    expect([g.width, g.height]).toEqual([w, h]);
  });

  it('same size needs no scaling', () => {
    expect(videoGeometry(HD, {}).filters).toEqual([]);
  });

  it('fill stretches to the box', () => {
    expect(videoGeometry(HD, { width: 500, height: 500 }).filters).toEqual(['scale=500:500', 'setsar=1']);
  });

  it('cover scales up to cover the box and crops at the anchor', () => {
    expect(videoGeometry(HD, { width: 500, height: 500, fit: 'cover' }).filters).toEqual([
      'scale=888:500',
      'crop=500:500:194:0',
      'setsar=1',
    ]);
    expect(videoGeometry(HD, { width: 500, height: 500, fit: 'cover', position: 'right' }).filters[1]).toBe(
      'crop=500:500:388:0',
    );
    expect(videoGeometry(HD, { width: 500, height: 500, fit: 'cover', position: 'left' }).filters[1]).toBe(
      'crop=500:500:0:0',
    );
  });

  it('contain scales down to fit and pads with the background', () => {
    expect(
      videoGeometry(HD, { width: 500, height: 500, fit: 'contain', background: '#20B075' }).filters,
    ).toEqual(['scale=500:282', 'pad=500:500:0:108:color=0x20b075', 'setsar=1']);
    expect(
      videoGeometry(HD, { width: 500, height: 500, fit: 'contain', position: 'bottom' }).filters[1],
    ).toBe('pad=500:500:0:218:color=black');
  });

  it('an unknown input size falls back to ffmpeg expressions', () => {
    expect(videoGeometry({}, { width: 320 }).filters).toEqual(['scale=320:-2']);
  });
});

describe('planVideo', () => {
  it('defaults: H.264 + AAC in MP4, same size and fps, faststart, no metadata', () => {
    const plan = planVideo(HD, {}, '/in/a.mov', '/out/b.mp4');
    expect(plan).toMatchObject({
      format: 'mp4',
      codec: 'h264',
      audioCodec: 'aac',
      mime: 'video/mp4',
      ext: 'mp4',
    });
    expect(plan).toMatchObject({ width: 1920, height: 1080, fps: 30, duration: 10 });
    const a = plan.args;
    expect(a.slice(0, 2)).toEqual(['-y', '-nostdin']);
    expect(argAfter(a, '-i')).toBe('/in/a.mov');
    expect(a.at(-1)).toBe('/out/b.mp4');
    expect(argAfter(a, '-c:v')).toBe('libx264');
    expect(argAfter(a, '-crf')).toBe('23');
    expect(argAfter(a, '-c:a')).toBe('aac');
    expect(argAfter(a, '-movflags')).toBe('+faststart');
    expect(argAfter(a, '-map_metadata')).toBe('-1');
    expect(argAfter(a, '-vf')).toBe('format=yuv420p');
  });

  it.each([
    [{ format: 'webm' }, 'webm', 'vp9', 'libvpx-vp9', 'opus'],
    [{ codec: 'vp9' }, 'webm', 'vp9', 'libvpx-vp9', 'opus'],
    [{ codec: 'h265' }, 'mp4', 'h265', 'libx265', 'aac'],
    [{ codec: 'hevc', format: 'mov' }, 'mov', 'h265', 'libx265', 'aac'],
    [{ codec: 'av1' }, 'mp4', 'av1', 'libsvtav1', 'aac'],
    [{ codec: 'av1', format: 'webm' }, 'webm', 'av1', 'libsvtav1', 'opus'],
  ])('%o → %s/%s', (opts, format, codec, encoder, audioCodec) => {
    expect(planVideo(HD, opts, 'i', 'o')).toMatchObject({ format, codec, encoder, audioCodec });
  });

  it('av1 falls back to libaom when SVT is missing', () => {
    const plan = planVideo(HD, { codec: 'av1' }, 'i', 'o', { encoders: new Set(['libaom-av1']) });
    expect(plan.encoder).toBe('libaom-av1');
    expect(optionError(() => planVideo(HD, { codec: 'av1' }, 'i', 'o', { encoders: new Set() })).option).toBe(
      'codec',
    );
  });

  it.each([
    [{ format: 'webm', codec: 'h264' }, 'codec', ['vp9', 'av1']],
    [{ format: 'mov', codec: 'vp9' }, 'codec', ['h264', 'h265']],
    [{ format: 'mov', codec: 'av1' }, 'codec', ['h264', 'h265']],
    [{ format: 'avi' }, 'format', ['mp4', 'webm', 'mov']],
    [{ codec: 'mpeg2' }, 'codec', ['h264', 'h265', 'vp9', 'av1']],
  ])('rejects %o naming %s', (opts, option, allowed) => {
    const err = optionError(() => planVideo(HD, opts, 'i', 'o'));
    expect(err.option).toBe(option);
    expect(err.allowed).toEqual(allowed);
    for (const a of allowed) expect(err.message).toContain(a);
  });

  it.each([
    ['h264', undefined, 23],
    ['h264', 'very_high', 17],
    ['h264', 'very_low', 35],
    ['h264', 1, 42],
    ['h264', 100, 14],
    ['h265', 'medium', 28],
    ['vp9', 'high', 28],
    ['av1', 'low', 42],
  ] as const)('crfFor(%s, %s) = %i', (codec, quality, crf) => {
    expect(crfFor(codec, quality)).toBe(crf);
  });

  it('quality is monotonic: higher quality never means a higher CRF', () => {
    for (const codec of ['h264', 'h265', 'vp9', 'av1'] as const) {
      for (let q = 2; q <= 100; q++) expect(crfFor(codec, q)).toBeLessThanOrEqual(crfFor(codec, q - 1));
    }
  });

  it('quality names, numbers and invalid values', () => {
    expect(argAfter(planVideo(HD, { quality: 'very_high' }, 'i', 'o').args, '-crf')).toBe('17');
    expect(argAfter(planVideo(HD, { quality: 75 }, 'i', 'o').args, '-crf')).toBe(String(crfFor('h264', 75)));
    expect(optionError(() => planVideo(HD, { quality: 0 }, 'i', 'o')).option).toBe('quality');
    expect(optionError(() => planVideo(HD, { quality: 'ultra' }, 'i', 'o')).option).toBe('quality');
  });

  it('bitrate caps H.264 and constrains VP9', () => {
    const h264 = planVideo(HD, { bitrate: 1_000_000 }, 'i', 'o').args;
    expect(argAfter(h264, '-maxrate')).toBe('1000000');
    expect(argAfter(h264, '-bufsize')).toBe('2000000');
    expect(argAfter(planVideo(HD, { format: 'webm', bitrate: 800_000 }, 'i', 'o').args, '-b:v')).toBe(
      '800000',
    );
    expect(argAfter(planVideo(HD, { format: 'webm' }, 'i', 'o').args, '-b:v')).toBe('0');
    expect(optionError(() => planVideo(HD, { bitrate: 1000 }, 'i', 'o')).option).toBe('bitrate');
  });

  it('start/end trim with input seek and an output duration', () => {
    const plan = planVideo(HD, { start: 2.5, end: 7 }, 'i', 'o');
    expect(argAfter(plan.args, '-ss')).toBe('2.5');
    expect(plan.args.indexOf('-ss')).toBeLessThan(plan.args.indexOf('-i'));
    expect(argAfter(plan.args, '-t')).toBe('4.5');
    expect(plan.duration).toBe(4.5);
    expect(planVideo(HD, { start: 4 }, 'i', 'o').duration).toBe(6);
  });

  it('fps, no_audio and silent inputs', () => {
    const plan = planVideo(HD, { fps: 15, no_audio: true }, 'i', 'o');
    expect(argAfter(plan.args, '-vf')).toBe('fps=15,format=yuv420p');
    expect(plan.args).toContain('-an');
    expect(plan.args).not.toContain('-c:a');
    expect(plan.audioCodec).toBeNull();
    expect(planVideo({ ...HD, hasAudio: false }, {}, 'i', 'o').args).toContain('-an');
  });

  // the same range as the video task schema and the spec: 1–60
  it.each([[1], [23.976], [60], ['30']])('fps %s is accepted', (fps) => {
    expect(planVideo(HD, { fps }, 'i', 'o').fps).toBe(Number(fps));
  });

  it.each([[0], [0.5], [60.01], [61], [120], ['fast']])('fps %s is refused', (fps) => {
    expect(optionError(() => planVideo(HD, { fps }, 'i', 'o')).option).toBe('fps');
  });

  it.each([
    [{ width: 8193 }, 'width'],
    [{ height: 100.5 }, 'height'],
    [{ width: '1000%' }, 'width'],
    [{ quality: 75.5 }, 'quality'],
    [{ bitrate: 299_999 }, 'bitrate'],
    [{ bitrate: 60_000_001 }, 'bitrate'],
    [{ bitrate: 1_000_000.5 }, 'bitrate'],
  ])('planVideo refuses %o like the schema', (opts, option) => {
    expect(optionError(() => planVideo(HD, opts, 'i', 'o')).option).toBe(option);
  });
});

describe('speed', () => {
  const SVT = { encoders: new Set(['libsvtav1']) };
  const AOM = { encoders: new Set(['libaom-av1']) };
  // [options, env, the flags that must follow, in order, somewhere in the arguments]
  it.each([
    // H.264: veryfast by default (issue 14: medium took 0.63× real time where veryfast takes 0.37×)
    [{}, {}, ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23']],
    [{ speed: 'fastest' }, {}, ['-preset', 'ultrafast']],
    [{ speed: 'fast' }, {}, ['-preset', 'superfast']],
    [{ speed: 'balanced' }, {}, ['-preset', 'veryfast']],
    [{ speed: 'best' }, {}, ['-preset', 'slow']],
    [{ speed: 'FAST' }, {}, ['-preset', 'superfast']],
    [{ codec: 'h265' }, {}, ['-c:v', 'libx265', '-preset', 'veryfast', '-crf', '28']],
    [{ codec: 'h265', speed: 'fastest' }, {}, ['-preset', 'ultrafast']],
    [{ codec: 'h265', speed: 'fast' }, {}, ['-preset', 'superfast']],
    [{ codec: 'h265', speed: 'best' }, {}, ['-preset', 'medium']],
    [{ codec: 'vp9' }, {}, ['-deadline', 'good', '-cpu-used', '5', '-row-mt', '1']],
    [{ codec: 'vp9', speed: 'fastest' }, {}, ['-deadline', 'realtime', '-cpu-used', '8']],
    [{ codec: 'vp9', speed: 'fast' }, {}, ['-deadline', 'realtime', '-cpu-used', '6']],
    [{ codec: 'vp9', speed: 'best' }, {}, ['-deadline', 'good', '-cpu-used', '2']],
    [{ codec: 'av1' }, SVT, ['-c:v', 'libsvtav1', '-preset', '8', '-crf', '35']],
    [{ codec: 'av1', speed: 'fastest' }, SVT, ['-preset', '12']],
    [{ codec: 'av1', speed: 'fast' }, SVT, ['-preset', '10']],
    [{ codec: 'av1', speed: 'best' }, SVT, ['-preset', '6']],
    [{ codec: 'av1' }, AOM, ['-c:v', 'libaom-av1', '-usage', 'good', '-cpu-used', '6', '-crf', '35']],
    [{ codec: 'av1', speed: 'fastest' }, AOM, ['-usage', 'realtime', '-cpu-used', '8']],
    [{ codec: 'av1', speed: 'fast' }, AOM, ['-usage', 'good', '-cpu-used', '8']],
    [{ codec: 'av1', speed: 'best' }, AOM, ['-usage', 'good', '-cpu-used', '4']],
    // the environment's speed is only the default: tests use fastest, a task's own option wins
    [{}, { speed: 'fastest' }, ['-preset', 'ultrafast']],
    [{ speed: 'best' }, { speed: 'fastest' }, ['-preset', 'slow']],
  ] as const)('%o %o → %o', (opts, env, flags) => {
    const args = planVideo(HD, opts, 'i', 'o', env).args;
    const at = args.indexOf(flags[0]);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(args.slice(at, at + flags.length)).toEqual(flags);
  });

  it('quality still decides the CRF at every speed', () => {
    for (const speed of ['fastest', 'fast', 'balanced', 'best']) {
      expect(argAfter(planVideo(HD, { speed, quality: 'high' }, 'i', 'o').args, '-crf')).toBe('20');
      expect(argAfter(planVideo(HD, { speed, codec: 'vp9', quality: 90 }, 'i', 'o').args, '-crf')).toBe(
        String(crfFor('vp9', 90)),
      );
    }
  });

  it('the plan says which speed it used', () => {
    expect(planVideo(HD, {}, 'i', 'o').speed).toBe('balanced');
    expect(planVideo(HD, { speed: 'fast' }, 'i', 'o').speed).toBe('fast');
  });

  it('an unknown speed is refused naming the choices', () => {
    const err = optionError(() => planVideo(HD, { speed: 'ludicrous' }, 'i', 'o'));
    expect(err.option).toBe('speed');
    expect(err.allowed).toEqual(['fastest', 'fast', 'balanced', 'best']);
  });

  it.each([
    // cores, slots, threads per encode
    [2, 1, 2],
    [2, 2, 2],
    [1, 1, 1],
    [1, 4, 1],
    [4, 2, 2],
    [8, 2, 4],
    [16, 1, 16],
    [64, 1, 16],
    [64, 8, 8],
    [8, 0, 8],
  ])('encoderThreads(%i cores, %i slots) = %i', (cores, slots, threads) => {
    expect(encoderThreads(cores, slots)).toBe(threads);
  });

  it.each([
    // width, threads, log2 tile columns: enough for the threads, none narrower than 256 px
    [1280, 2, 1],
    [1280, 4, 2],
    [1280, 16, 2],
    [1920, 8, 2],
    [3840, 16, 3],
    [320, 4, 0],
    [200, 2, 0],
    [1920, 1, 0],
    [undefined, undefined, 2],
    [1920, undefined, 2],
  ])('tileColumnsLog2(%s px, %s threads) = %i', (width, threads, log2) => {
    expect(tileColumnsLog2(width, threads)).toBe(log2);
  });

  it('threads go to each encoder its own way', () => {
    const env = { threads: 3, encoders: new Set(['libsvtav1']) };
    const h264 = planVideo(HD, {}, 'i', 'o', env).args;
    expect(argAfter(h264, '-threads')).toBe('3');
    // after -i: the encoder's threads, not the decoder's
    expect(h264.indexOf('-threads')).toBeGreaterThan(h264.indexOf('-i'));
    expect(argAfter(planVideo(HD, { codec: 'h265' }, 'i', 'o', env).args, '-x265-params')).toBe(
      'log-level=error:pools=3',
    );
    const vp9 = planVideo(HD, { codec: 'vp9', width: 1280 }, 'i', 'o', env).args;
    expect(argAfter(vp9, '-threads')).toBe('3');
    expect(argAfter(vp9, '-tile-columns')).toBe('2');
    expect(argAfter(planVideo(HD, { codec: 'av1' }, 'i', 'o', env).args, '-svtav1-params')).toBe('lp=3');
    const aom = planVideo(HD, { codec: 'av1', width: 320 }, 'i', 'o', {
      threads: 2,
      encoders: new Set(['libaom-av1']),
    });
    expect(argAfter(aom.args, '-threads')).toBe('2');
    expect(argAfter(aom.args, '-row-mt')).toBe('1');
    expect(argAfter(aom.args, '-tile-columns')).toBe('0');
  });

  it('without a thread count the encoders choose their own', () => {
    for (const codec of ['h264', 'vp9', 'av1']) {
      expect(planVideo(HD, { codec }, 'i', 'o').args).not.toContain('-threads');
    }
    expect(argAfter(planVideo(HD, { codec: 'h265' }, 'i', 'o').args, '-x265-params')).toBe('log-level=error');
    expect(planVideo(HD, { codec: 'av1' }, 'i', 'o').args).not.toContain('-svtav1-params');
  });
});

describe('planAudio', () => {
  it.each([
    ['mp3', 'libmp3lame', 'audio/mpeg', 'mp3', 160_000],
    ['aac', 'aac', 'audio/mp4', 'm4a', 128_000],
    ['ogg', 'libopus', 'audio/ogg', 'ogg', 96_000],
    ['opus', 'libopus', 'audio/ogg', 'opus', 96_000],
    ['wav', 'pcm_s16le', 'audio/wav', 'wav', undefined],
    ['flac', 'flac', 'audio/flac', 'flac', undefined],
  ])('%s', (format, encoder, mime, ext, bitrate) => {
    const plan = planAudio({ format }, '/in.mp4', '/out');
    expect(plan).toMatchObject({ mime, ext, bitrate });
    expect(argAfter(plan.args, '-c:a')).toBe(encoder);
    expect(plan.args).toContain('-vn');
    expect(argAfter(plan.args, '-map')).toBe('0:a:0');
  });

  it('bitrate, quality, trim and errors', () => {
    expect(argAfter(planAudio({ format: 'mp3', bitrate: 64000 }, 'i', 'o').args, '-b:a')).toBe('64000');
    expect(argAfter(planAudio({ format: 'mp3', quality: 'very_high' }, 'i', 'o').args, '-b:a')).toBe(
      '320000',
    );
    expect(planAudio({ format: 'wav', bitrate: 64000 }, 'i', 'o').args).not.toContain('-b:a');
    const trimmed = planAudio({ start: 1, end: 3 }, 'i', 'o', { duration: 10 });
    expect(trimmed.duration).toBe(2);
    expect(argAfter(trimmed.args, '-t')).toBe('2');
    expect(optionError(() => planAudio({ bitrate: 500_000 }, 'i', 'o')).option).toBe('bitrate');
    expect(optionError(() => planAudio({ format: 'wma' }, 'i', 'o')).option).toBe('format');
  });
});
