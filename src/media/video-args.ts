import { OptionError } from './errors.js';
import {
  type Anchor,
  parseBitrate,
  parseChoice,
  parseColor,
  parseFit,
  parsePosition,
  parseQuality,
  parseSize,
  parseTrim,
  type QualityLevel,
  type SizeValue,
  scaleQuality,
  secs,
} from './options.js';

export type VideoFormat = 'mp4' | 'webm' | 'mov';
export type VideoCodec = 'h264' | 'h265' | 'vp9' | 'av1';
/** Encoder effort (beyond ittybit): the same quality target, reached with more or less CPU. */
export type VideoSpeed = 'fastest' | 'fast' | 'balanced' | 'best';

export const VIDEO_FORMATS: readonly VideoFormat[] = ['mp4', 'webm', 'mov'];
export const VIDEO_CODECS: readonly VideoCodec[] = ['h264', 'h265', 'vp9', 'av1'];
export const VIDEO_SPEEDS: readonly VideoSpeed[] = ['fastest', 'fast', 'balanced', 'best'];
export const DEFAULT_VIDEO_SPEED: VideoSpeed = 'balanced';

/** Which codecs each container may carry (spec §6.4 video: h264/h265→mp4/mov, vp9→webm, av1→mp4/webm). */
export const CODECS_BY_FORMAT: Record<VideoFormat, readonly VideoCodec[]> = {
  mp4: ['h264', 'h265', 'av1'],
  mov: ['h264', 'h265'],
  webm: ['vp9', 'av1'],
};

/** Task options for a video task, as they arrive from the API (snake_case kept for no_audio). */
export interface VideoOptions {
  width?: SizeValue;
  height?: SizeValue;
  fit?: string;
  position?: string;
  background?: string;
  fps?: number | string;
  format?: string;
  codec?: string;
  quality?: number | string;
  bitrate?: number | string;
  start?: number | string;
  end?: number | string;
  no_audio?: boolean;
  speed?: string;
}

/** The probe facts the builder needs (a ProbeResult fits). Sizes are as displayed. */
export interface VideoInput {
  width?: number;
  height?: number;
  fps?: number;
  duration?: number;
  hasAudio?: boolean;
  channels?: number;
}

export interface VideoEnv {
  /** encoder names available (from ffmpegEncoders()); decides the AV1 encoder */
  encoders?: ReadonlySet<string>;
  /** the speed when the options name none (tests use 'fastest'); default 'balanced' */
  speed?: VideoSpeed;
  /** encoder threads for one task (see encoderThreads); absent: the encoder decides */
  threads?: number;
}

export interface VideoPlan {
  args: string[];
  format: VideoFormat;
  codec: VideoCodec;
  encoder: string;
  speed: VideoSpeed;
  audioCodec: 'aac' | 'opus' | null;
  mime: string;
  ext: string;
  width?: number;
  height?: number;
  fps?: number;
  /** output duration in seconds when the input's is known; use it for progress */
  duration?: number;
}

const FORMAT_MIME: Record<VideoFormat, string> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
};

/** CRF per codec for the named levels (very_low … very_high) and the default when no quality is given. */
const CRF: Record<
  VideoCodec,
  { levels: Record<QualityLevel, number>; default: number; range: [number, number] }
> = {
  // range: the CRF for quality 1 and for quality 100
  h264: {
    levels: { very_low: 35, low: 29, medium: 23, high: 20, very_high: 17 },
    default: 23,
    range: [42, 14],
  },
  h265: {
    levels: { very_low: 36, low: 32, medium: 28, high: 24, very_high: 20 },
    default: 28,
    range: [44, 16],
  },
  vp9: {
    levels: { very_low: 48, low: 40, medium: 33, high: 28, very_high: 22 },
    default: 33,
    range: [58, 15],
  },
  av1: {
    levels: { very_low: 50, low: 42, medium: 35, high: 30, very_high: 24 },
    default: 35,
    range: [58, 15],
  },
};

export function crfFor(codec: VideoCodec, quality: number | QualityLevel | undefined): number {
  const table = CRF[codec];
  if (quality === undefined) return table.default;
  if (typeof quality === 'string') return table.levels[quality];
  return scaleQuality(quality, ...table.range);
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
const evenDown = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** Codec names as RFC 6381 and ffprobe spell them. */
const CODEC_ALIASES: Record<string, VideoCodec> = { avc: 'h264', hevc: 'h265', vp09: 'vp9', av01: 'av1' };

function resolveFormatAndCodec(opts: VideoOptions): { format: VideoFormat; codec: VideoCodec } {
  let format = parseChoice('format', opts.format, VIDEO_FORMATS);
  let codec = parseChoice('codec', opts.codec, VIDEO_CODECS, CODEC_ALIASES);
  if (!format) format = codec === 'vp9' ? 'webm' : 'mp4';
  if (!codec) codec = CODECS_BY_FORMAT[format][0];
  const allowed = CODECS_BY_FORMAT[format];
  if (!allowed.includes(codec)) {
    throw new OptionError(
      'codec',
      `codec ${codec} cannot be stored in ${format}; for ${format} use one of ${allowed.join(', ')}.`,
      allowed,
    );
  }
  return { format, codec };
}

export interface Geometry {
  /** final frame size */
  width?: number;
  height?: number;
  /** ffmpeg filters producing it, in order */
  filters: string[];
}

/** Position of a crop/pad window: the anchor fraction of the slack, kept on even pixels for 4:2:0. */
const offset = (slack: number, at: Anchor['x']) => Math.floor((slack * at) / 2) * 2;

/**
 * Output size and the scale/crop/pad filters for width/height/fit/position/background. Output sides
 * are even because 4:2:0 video cannot have odd ones.
 */
export function videoGeometry(input: VideoInput, opts: VideoOptions): Geometry {
  const iw = input.width;
  const ih = input.height;
  const w = parseSize('width', opts.width, iw);
  const h = parseSize('height', opts.height, ih);
  const fit = parseFit(opts.fit, 'fill');
  const anchor = parsePosition(opts.position);
  const background = opts.background ? parseColor('background', opts.background) : undefined;
  const hex = (c: { r: number; g: number; b: number }) =>
    `0x${[c.r, c.g, c.b].map((n) => n.toString(16).padStart(2, '0')).join('')}`;

  if (!iw || !ih) {
    // unknown input size: let ffmpeg keep the aspect ratio and round to even
    if (w === undefined && h === undefined) return { filters: ['scale=trunc(iw/2)*2:trunc(ih/2)*2'] };
    const sw = w === undefined ? -2 : even(w);
    const sh = h === undefined ? -2 : even(h);
    return { width: w && even(w), height: h && even(h), filters: [`scale=${sw}:${sh}`] };
  }

  if (w === undefined && h === undefined) {
    const ow = evenDown(iw);
    const oh = evenDown(ih);
    return { width: ow, height: oh, filters: ow === iw && oh === ih ? [] : [`scale=${ow}:${oh}`] };
  }
  if (w === undefined || h === undefined) {
    // one side given: the other follows the input's aspect ratio
    const ow = w !== undefined ? even(w) : even((h! * iw) / ih);
    const oh = h !== undefined ? even(h) : even((w! * ih) / iw);
    return { width: ow, height: oh, filters: [`scale=${ow}:${oh}`, 'setsar=1'] };
  }

  const ow = even(w);
  const oh = even(h);
  if (fit === 'fill') return { width: ow, height: oh, filters: [`scale=${ow}:${oh}`, 'setsar=1'] };
  if (fit === 'cover') {
    const s = Math.max(ow / iw, oh / ih);
    const sw = Math.max(ow, even(iw * s));
    const sh = Math.max(oh, even(ih * s));
    return {
      width: ow,
      height: oh,
      filters: [
        `scale=${sw}:${sh}`,
        `crop=${ow}:${oh}:${offset(sw - ow, anchor.x)}:${offset(sh - oh, anchor.y)}`,
        'setsar=1',
      ],
    };
  }
  const s = Math.min(ow / iw, oh / ih);
  const sw = Math.min(ow, even(iw * s));
  const sh = Math.min(oh, even(ih * s));
  const color = background ? hex(background) : 'black';
  return {
    width: ow,
    height: oh,
    filters: [
      `scale=${sw}:${sh}`,
      `pad=${ow}:${oh}:${offset(ow - sw, anchor.x)}:${offset(oh - sh, anchor.y)}:color=${color}`,
      'setsar=1',
    ],
  };
}

/** Frames per second, 1–60 as the spec and the task schema have it. */
export const MAX_FPS = 60;

function parseFps(value: number | string | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 1 || n > MAX_FPS)
    throw new OptionError('fps', `fps must be between 1 and ${MAX_FPS}; got "${value}".`);
  return Math.round(n * 1000) / 1000;
}

/**
 * What each speed means per encoder. The CRF/CQ comes from quality alone, so a speed changes the CPU an
 * encode costs (and a little of the file size at that quality), never the quality level asked for.
 * `balanced` (the default) is x264 veryfast: a 1080p → 720p encode in well under real time on two cores,
 * where x264's own default (medium) took 0.63× the duration for much the same picture (docs/tasks.md).
 */
export const SPEED_SETTINGS = {
  x264: { fastest: 'ultrafast', fast: 'superfast', balanced: 'veryfast', best: 'slow' },
  x265: { fastest: 'ultrafast', fast: 'superfast', balanced: 'veryfast', best: 'medium' },
  // realtime drops the alt-ref frames, so it costs bytes; good mode's fastest setting is cpu-used 5
  vp9: {
    fastest: { deadline: 'realtime', cpuUsed: 8 },
    fast: { deadline: 'realtime', cpuUsed: 6 },
    balanced: { deadline: 'good', cpuUsed: 5 },
    best: { deadline: 'good', cpuUsed: 2 },
  },
  svtav1: { fastest: 12, fast: 10, balanced: 8, best: 6 },
  // the fallback AV1 encoder; only its realtime usage is fast at all
  aom: {
    fastest: { usage: 'realtime', cpuUsed: 8 },
    fast: { usage: 'good', cpuUsed: 8 },
    balanced: { usage: 'good', cpuUsed: 6 },
    best: { usage: 'good', cpuUsed: 4 },
  },
} as const satisfies Record<string, Record<VideoSpeed, unknown>>;

/** x264 gets no better past this many frame threads, and the lookahead latency grows. */
const MAX_THREADS = 16;

/**
 * Encoder threads for one task when `slots` tasks may run at once on `cores` cores: with every slot busy
 * the encoders together use about the cores once over (the OS schedules a little oversubscription
 * well, not ten times over), and a task alone still encodes on two threads at least.
 */
export function encoderThreads(cores: number, slots: number): number {
  const c = Math.max(1, Math.floor(cores));
  const share = Math.ceil(c / Math.max(1, Math.floor(slots)));
  return Math.min(MAX_THREADS, Math.max(Math.min(2, c), share));
}

/**
 * log2 of the tile columns for VP9/AV1: enough for the threads (tiles are what their threads split),
 * never narrower than 256 px, which the bitstream forbids. Unknown threads: 4 columns.
 */
export function tileColumnsLog2(width: number | undefined, threads: number | undefined): number {
  const wanted = Math.ceil(Math.log2(Math.max(1, threads ?? 4)));
  const fits = width ? Math.max(0, Math.floor(Math.log2(width / 256))) : wanted;
  return Math.min(wanted, fits, 6);
}

function encoderArgs(
  codec: VideoCodec,
  env: VideoEnv,
  speed: VideoSpeed,
  crf: number,
  bitrate: number | undefined,
  width: number | undefined,
): { encoder: string; args: string[] } {
  const { threads } = env;
  const tiles = () => ['-tile-columns', String(tileColumnsLog2(width, threads))];
  switch (codec) {
    case 'h264': {
      const args = ['-c:v', 'libx264', '-preset', SPEED_SETTINGS.x264[speed], '-crf', String(crf)];
      // CRF with a cap: quality-driven, but never above the requested rate
      if (bitrate) args.push('-maxrate', String(bitrate), '-bufsize', String(bitrate * 2));
      if (threads) args.push('-threads', String(threads));
      return { encoder: 'libx264', args };
    }
    case 'h265': {
      const args = ['-c:v', 'libx265', '-preset', SPEED_SETTINGS.x265[speed], '-crf', String(crf)];
      if (bitrate) args.push('-maxrate', String(bitrate), '-bufsize', String(bitrate * 2));
      // x265 ignores -threads; its thread pool is sized in its own parameters
      const params = ['log-level=error', ...(threads ? [`pools=${threads}`] : [])];
      args.push('-tag:v', 'hvc1', '-x265-params', params.join(':'));
      return { encoder: 'libx265', args };
    }
    case 'vp9': {
      const { deadline, cpuUsed } = SPEED_SETTINGS.vp9[speed];
      // -b:v 0 makes CRF constant quality; a bitrate turns it into constrained quality
      const args = ['-c:v', 'libvpx-vp9', '-crf', String(crf), '-b:v', bitrate ? String(bitrate) : '0'];
      args.push('-deadline', deadline, '-cpu-used', String(cpuUsed), '-row-mt', '1', ...tiles());
      if (threads) args.push('-threads', String(threads));
      return { encoder: 'libvpx-vp9', args };
    }
    case 'av1': {
      const has = (name: string) => !env.encoders || env.encoders.has(name);
      if (has('libsvtav1')) {
        const args = ['-c:v', 'libsvtav1', '-preset', String(SPEED_SETTINGS.svtav1[speed])];
        // SVT-AV1 in ffmpeg 5.x has no capped CRF; a bitrate switches it to VBR
        args.push(...(bitrate ? ['-b:v', String(bitrate)] : ['-crf', String(crf)]));
        // ffmpeg 5.x does not pass -threads on to SVT-AV1; lp (logical processors) is its own knob
        if (threads) args.push('-svtav1-params', `lp=${threads}`);
        return { encoder: 'libsvtav1', args };
      }
      if (has('libaom-av1')) {
        const { usage, cpuUsed } = SPEED_SETTINGS.aom[speed];
        const args = ['-c:v', 'libaom-av1', '-usage', usage, '-cpu-used', String(cpuUsed)];
        args.push('-crf', String(crf), '-b:v', bitrate ? String(bitrate) : '0', '-row-mt', '1', ...tiles());
        if (threads) args.push('-threads', String(threads));
        return { encoder: 'libaom-av1', args };
      }
      throw new OptionError('codec', 'codec av1 is not available: this ffmpeg has no AV1 encoder.', [
        'h264',
        'h265',
        'vp9',
      ]);
    }
  }
}

/**
 * The whole transcode as an ffmpeg argument list (for runFfmpeg) plus what the output will be.
 * Throws OptionError for options that cannot be honoured.
 */
export function planVideo(
  input: VideoInput,
  opts: VideoOptions,
  inPath: string,
  outPath: string,
  env: VideoEnv = {},
): VideoPlan {
  const { format, codec } = resolveFormatAndCodec(opts);
  const geometry = videoGeometry(input, opts);
  const fps = parseFps(opts.fps);
  const quality = parseQuality(opts.quality);
  const bitrate = parseBitrate(opts.bitrate, 300_000, 60_000_000);
  const trim = parseTrim(opts.start, opts.end, input.duration);
  const crf = crfFor(codec, quality);
  const speed = parseChoice('speed', opts.speed, VIDEO_SPEEDS) ?? env.speed ?? DEFAULT_VIDEO_SPEED;
  const { encoder, args: videoArgs } = encoderArgs(codec, env, speed, crf, bitrate, geometry.width);
  const withAudio = !opts.no_audio && input.hasAudio !== false;
  const audioCodec = withAudio ? (format === 'webm' ? 'opus' : 'aac') : null;

  const args = ['-y', '-nostdin'];
  // input seeking: fast, and frame-accurate because the output is re-encoded
  if (trim.start > 0) args.push('-ss', secs(trim.start));
  args.push('-i', inPath);
  if (trim.end !== undefined) args.push('-t', secs(trim.end - trim.start));
  args.push('-map', '0:v:0');
  if (withAudio) args.push('-map', '0:a:0?');
  args.push('-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn');

  const filters = [
    ...(fps && fps !== input.fps ? [`fps=${fps}`] : []),
    ...geometry.filters,
    'format=yuv420p',
  ];
  args.push('-vf', filters.join(','));
  args.push(...videoArgs);

  if (audioCodec === 'aac') args.push('-c:a', 'aac', '-b:a', '128k');
  if (audioCodec === 'opus') {
    args.push('-c:a', 'libopus', '-b:a', '96k');
    // libopus refuses some surround layouts; stereo always works
    if (input.channels && input.channels > 2) args.push('-ac', '2');
  }
  if (!withAudio) args.push('-an');

  if (format === 'mp4' || format === 'mov') args.push('-movflags', '+faststart');
  args.push('-f', format, outPath);

  return {
    args,
    format,
    codec,
    encoder,
    speed,
    audioCodec,
    mime: FORMAT_MIME[format],
    ext: format,
    width: geometry.width,
    height: geometry.height,
    fps: fps ?? input.fps,
    duration: trim.duration,
  };
}

/** planVideo's argument list alone. */
export function buildVideoArgs(
  input: VideoInput,
  opts: VideoOptions,
  inPath: string,
  outPath: string,
  env: VideoEnv = {},
): string[] {
  return planVideo(input, opts, inPath, outPath, env).args;
}
