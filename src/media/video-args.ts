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

export const VIDEO_FORMATS: readonly VideoFormat[] = ['mp4', 'webm', 'mov'];
export const VIDEO_CODECS: readonly VideoCodec[] = ['h264', 'h265', 'vp9', 'av1'];

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
  /** 'fast' trades compression for speed (tests, previews); default 'balanced' */
  speed?: 'fast' | 'balanced';
}

export interface VideoPlan {
  args: string[];
  format: VideoFormat;
  codec: VideoCodec;
  encoder: string;
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

function encoderArgs(
  codec: VideoCodec,
  env: VideoEnv,
  crf: number,
  bitrate: number | undefined,
): { encoder: string; args: string[] } {
  const fast = env.speed === 'fast';
  switch (codec) {
    case 'h264':
    case 'h265': {
      const encoder = codec === 'h264' ? 'libx264' : 'libx265';
      const args = [
        '-c:v',
        encoder,
        '-preset',
        fast ? 'ultrafast' : codec === 'h264' ? 'medium' : 'fast',
        '-crf',
        String(crf),
      ];
      // CRF with a cap: quality-driven, but never above the requested rate
      if (bitrate) args.push('-maxrate', String(bitrate), '-bufsize', String(bitrate * 2));
      if (codec === 'h265') args.push('-tag:v', 'hvc1', '-x265-params', 'log-level=error');
      return { encoder, args };
    }
    case 'vp9': {
      // -b:v 0 makes CRF constant quality; a bitrate turns it into constrained quality
      const args = [
        '-c:v',
        'libvpx-vp9',
        '-crf',
        String(crf),
        '-b:v',
        bitrate ? String(bitrate) : '0',
        '-row-mt',
        '1',
      ];
      args.push('-deadline', fast ? 'realtime' : 'good', '-cpu-used', fast ? '8' : '4');
      return { encoder: 'libvpx-vp9', args };
    }
    case 'av1': {
      const has = (name: string) => !env.encoders || env.encoders.has(name);
      if (has('libsvtav1')) {
        const args = ['-c:v', 'libsvtav1', '-preset', fast ? '12' : '8'];
        // SVT-AV1 in ffmpeg 5.x has no capped CRF; a bitrate switches it to VBR
        args.push(...(bitrate ? ['-b:v', String(bitrate)] : ['-crf', String(crf)]));
        return { encoder: 'libsvtav1', args };
      }
      if (has('libaom-av1')) {
        const args = [
          '-c:v',
          'libaom-av1',
          '-cpu-used',
          fast ? '8' : '6',
          '-row-mt',
          '1',
          '-crf',
          String(crf),
        ];
        args.push('-b:v', bitrate ? String(bitrate) : '0');
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
  const { encoder, args: videoArgs } = encoderArgs(codec, env, crf, bitrate);
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
