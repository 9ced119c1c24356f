import {
  parseBitrate,
  parseChoice,
  parseQuality,
  parseTrim,
  type QualityLevel,
  scaleQuality,
  secs,
} from './options.js';

export type AudioFormat = 'mp3' | 'aac' | 'wav' | 'ogg' | 'opus' | 'flac' | 'alac';
export const AUDIO_FORMATS: readonly AudioFormat[] = ['mp3', 'aac', 'wav', 'ogg', 'opus', 'flac', 'alac'];

export interface AudioOptions {
  format?: string;
  quality?: number | string;
  bitrate?: number | string;
  start?: number | string;
  end?: number | string;
}

/** Probe facts the builder uses when known (a ProbeResult fits). */
export interface AudioInput {
  duration?: number;
  channels?: number;
}

export interface AudioPlan {
  args: string[];
  format: AudioFormat;
  codec: string;
  /** MIME type without parameters */
  mime: string;
  /** MIME type with codecs where the container carries several */
  type: string;
  ext: string;
  /** bits/second for lossy formats */
  bitrate?: number;
  duration?: number;
}

interface FormatSpec {
  codec: string;
  encoder: string;
  muxer: string;
  mime: string;
  type: string;
  ext: string;
  lossy: boolean;
  /** bitrate per named level; default is 'medium' */
  levels?: Record<QualityLevel, number>;
}

const MP3_LEVELS: Record<QualityLevel, number> = {
  very_low: 64_000,
  low: 96_000,
  medium: 160_000,
  high: 192_000,
  very_high: 320_000,
};
const AAC_LEVELS: Record<QualityLevel, number> = {
  very_low: 48_000,
  low: 96_000,
  medium: 128_000,
  high: 192_000,
  very_high: 256_000,
};
const OPUS_LEVELS: Record<QualityLevel, number> = {
  very_low: 32_000,
  low: 64_000,
  medium: 96_000,
  high: 128_000,
  very_high: 192_000,
};

// 'aac' is written into an MP4 (.m4a) rather than raw ADTS: it then has a duration and is seekable
// in every browser; 'ogg' carries Opus, the better codec, rather than Vorbis.
const FORMATS: Record<AudioFormat, FormatSpec> = {
  mp3: {
    codec: 'mp3',
    encoder: 'libmp3lame',
    muxer: 'mp3',
    mime: 'audio/mpeg',
    type: 'audio/mpeg',
    ext: 'mp3',
    lossy: true,
    levels: MP3_LEVELS,
  },
  aac: {
    codec: 'aac',
    encoder: 'aac',
    muxer: 'ipod',
    mime: 'audio/mp4',
    type: 'audio/mp4; codecs="mp4a.40.2"',
    ext: 'm4a',
    lossy: true,
    levels: AAC_LEVELS,
  },
  ogg: {
    codec: 'opus',
    encoder: 'libopus',
    muxer: 'ogg',
    mime: 'audio/ogg',
    type: 'audio/ogg; codecs="opus"',
    ext: 'ogg',
    lossy: true,
    levels: OPUS_LEVELS,
  },
  opus: {
    codec: 'opus',
    encoder: 'libopus',
    muxer: 'ogg',
    mime: 'audio/ogg',
    type: 'audio/ogg; codecs="opus"',
    ext: 'opus',
    lossy: true,
    levels: OPUS_LEVELS,
  },
  wav: {
    codec: 'pcm_s16le',
    encoder: 'pcm_s16le',
    muxer: 'wav',
    mime: 'audio/wav',
    type: 'audio/wav',
    ext: 'wav',
    lossy: false,
  },
  flac: {
    codec: 'flac',
    encoder: 'flac',
    muxer: 'flac',
    mime: 'audio/flac',
    type: 'audio/flac',
    ext: 'flac',
    lossy: false,
  },
  alac: {
    codec: 'alac',
    encoder: 'alac',
    muxer: 'ipod',
    mime: 'audio/mp4',
    type: 'audio/mp4; codecs="alac"',
    ext: 'm4a',
    lossy: false,
  },
};

export function audioBitrateFor(
  format: AudioFormat,
  quality: number | QualityLevel | undefined,
): number | undefined {
  const levels = FORMATS[format].levels;
  if (!levels) return undefined;
  if (quality === undefined) return levels.medium;
  if (typeof quality === 'string') return levels[quality];
  return Math.round(scaleQuality(quality, levels.very_low, levels.very_high) / 1000) * 1000;
}

/**
 * Audio extraction/transcode as an ffmpeg argument list. The input may be a video: only its first
 * audio stream is used, and a file without one makes ffmpeg fail with a clear message.
 */
export function planAudio(
  opts: AudioOptions,
  inPath: string,
  outPath: string,
  input: AudioInput = {},
): AudioPlan {
  const format = parseChoice('format', opts.format, AUDIO_FORMATS, { m4a: 'aac' }) ?? 'mp3';
  const spec = FORMATS[format];
  const quality = parseQuality(opts.quality);
  let bitrate = parseBitrate(opts.bitrate, 32_000, 320_000);
  if (spec.lossy) bitrate ??= audioBitrateFor(format, quality);
  else bitrate = undefined;
  const trim = parseTrim(opts.start, opts.end, input.duration);

  const args = ['-y', '-nostdin'];
  if (trim.start > 0) args.push('-ss', secs(trim.start));
  args.push('-i', inPath);
  if (trim.end !== undefined) args.push('-t', secs(trim.end - trim.start));
  args.push('-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', '-map_chapters', '-1');
  args.push('-c:a', spec.encoder);
  if (bitrate) args.push('-b:a', String(bitrate));
  if (spec.codec === 'opus' && input.channels && input.channels > 2) args.push('-ac', '2');
  if (spec.muxer === 'ipod') args.push('-movflags', '+faststart');
  args.push('-f', spec.muxer, outPath);

  return {
    args,
    format,
    codec: spec.codec,
    mime: spec.mime,
    type: spec.type,
    ext: spec.ext,
    bitrate,
    duration: trim.duration,
  };
}

/** planAudio with the output facts (mime, ext, …) alongside the arguments. */
export function buildAudioArgs(
  opts: AudioOptions,
  inPath: string,
  outPath: string,
  input: AudioInput = {},
): AudioPlan {
  return planAudio(opts, inPath, outPath, input);
}
