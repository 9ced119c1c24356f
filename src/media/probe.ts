import { statSync } from 'node:fs';
import { MediaError } from './errors.js';
import {
  type EarlyProbe,
  type FfprobeOutput,
  type FfprobeStream,
  ffprobeJson,
  type ProbeCallOptions,
  verifyTail,
} from './ffmpeg.js';
import {
  checkPixels,
  DEFAULT_MAX_PIXELS,
  type ImageMeta,
  type ImageOutput,
  imageMetadata,
  verifyImage,
} from './image.js';
import { type MediaKind, type Sniffed, sniffFile } from './sniff.js';

export type Orientation = 'landscape' | 'portrait' | 'square';

/** Everything the probe learns about a file, named after the File fields of the API (spec §4.1). */
export interface ProbeResult {
  kind: MediaKind;
  /** MIME type, with RFC 6381 codecs for containers that carry them */
  type: string;
  /** MIME type without parameters */
  mime: string;
  ext: string;
  container: string;
  /** primary codec: the video codec for video, the audio codec for audio, the format for images */
  codec?: string;
  audioCodec?: string;
  /** as displayed (rotation and EXIF orientation applied) */
  width?: number;
  height?: number;
  orientation?: Orientation;
  /** clockwise degrees a player rotates the stored picture by (0, 90, 180, 270) */
  rotation: number;
  transparency: boolean;
  animated: boolean;
  frames?: number;
  duration?: number;
  fps?: number;
  bitrate?: number;
  filesize: number;
  hasAudio: boolean;
  hasVideo: boolean;
  sampleRate?: number;
  channels?: number;
}

export interface ProbeLimits {
  maxPixels?: number;
  maxDurationSeconds?: number;
}

export function orientationOf(
  width: number | undefined,
  height: number | undefined,
): Orientation | undefined {
  if (!width || !height) return undefined;
  return width === height ? 'square' : width > height ? 'landscape' : 'portrait';
}

export interface ProbeOptions extends ProbeCallOptions {
  /**
   * Also decode a little (an image at a small size, a video's last seconds) to prove the data is intact:
   * headers of a truncated file still read fine. Default true, which is what ingest needs. Files already
   * stored were verified when they were ingested, and a task's output was just written by our own tools,
   * so tasks read headers only.
   */
  verify?: boolean;
  /**
   * An ffprobe started ahead of time (startFfprobe) to read an audio/video file with; cancelled when the
   * probe does not need it.
   */
  ffprobe?: EarlyProbe;
}

/** A probe, plus the image header it was made from (for images), so callers need not read it again. */
export interface DetailedProbe {
  probe: ProbeResult;
  image?: ImageMeta;
}

/**
 * Reads a sniffed file's facts without decoding more than it must. Limits are checked against the
 * headers before any pixels are decoded. Throws MediaError ('media_corrupt', 'media_unsupported',
 * 'media_too_large').
 */
export async function probeFile(
  path: string,
  sniffed: Sniffed,
  limits: ProbeLimits = {},
  opts: ProbeOptions = {},
): Promise<ProbeResult> {
  return (await probeFileDetailed(path, sniffed, limits, opts)).probe;
}

interface CachedProbe extends DetailedProbe {
  /** as the caller sniffed it (sniffFile) */
  sniffed: Sniffed;
  verified: boolean;
}

const PROBE_CACHE_SIZE = 256;
/**
 * Probes by file identity (device, inode, birth time, size, modification time). Stored blobs never
 * change in place (a new version is a new file renamed over the key), so the same identity means the
 * same bytes. On the embedded default the blob a task reads is the very file ingest probed (moved, not
 * copied), and the tasks of one upload share one input: each skips an ffprobe run (tens of ms) or a
 * header read. Elsewhere (S3 copies, other processes) it simply misses.
 */
const probeCache = new Map<string, CachedProbe>();

async function identity(path: string): Promise<{ key: string; size: number }> {
  // synchronous: a local stat costs less than the thread-pool round trip of the async one
  const st = statSync(path, { bigint: true });
  // birth time tells a reused inode from the file that had it before (rename keeps it, like mtime)
  const key = `${st.dev}:${st.ino}:${st.birthtimeNs}:${st.size}:${st.mtimeNs}`;
  return { key, size: Number(st.size) };
}

function sameSniff(a: Sniffed, b: Sniffed): boolean {
  return a.kind === b.kind && a.ext === b.ext && a.mime === b.mime;
}

/** probeFile, keeping the image header it read. */
async function probeFileDetailed(
  path: string,
  sniffed: Sniffed,
  limits: ProbeLimits = {},
  opts: ProbeOptions = {},
): Promise<DetailedProbe> {
  try {
    const id = await identity(path);
    const hit = probeCache.get(id.key);
    if (hit && sameSniff(hit.sniffed, sniffed)) {
      const cached = fromCache(id.key, hit, limits, opts);
      if (cached) return cached;
    }
    return await probeAndCache(path, id, sniffed, limits, opts);
  } finally {
    opts.ffprobe?.cancel();
  }
}

/**
 * sniffFile and probeFileDetailed in one, reading nothing when this file was probed before. Null when
 * the bytes are not a media type mediary handles.
 */
export async function probeMedia(
  path: string,
  limits: ProbeLimits = {},
  opts: ProbeOptions = {},
): Promise<(DetailedProbe & { sniffed: Sniffed }) | null> {
  try {
    const id = await identity(path);
    const hit = probeCache.get(id.key);
    if (hit) {
      const cached = fromCache(id.key, hit, limits, opts);
      if (cached) return { ...cached, sniffed: { ...hit.sniffed } };
    }
    const sniffed = await sniffFile(path);
    if (!sniffed) return null;
    return { ...(await probeAndCache(path, id, sniffed, limits, opts)), sniffed };
  } finally {
    opts.ffprobe?.cancel();
  }
}

function fromCache(
  key: string,
  hit: CachedProbe,
  limits: ProbeLimits,
  opts: ProbeOptions,
): DetailedProbe | null {
  if (!hit.verified && (opts.verify ?? true)) return null;
  // limits may differ from the probe that was cached; the facts they are checked on do not
  recheckLimits(hit, limits);
  probeCache.delete(key);
  probeCache.set(key, hit);
  return { probe: { ...hit.probe }, image: hit.image };
}

async function probeAndCache(
  path: string,
  id: { key: string; size: number },
  sniffed: Sniffed,
  limits: ProbeLimits,
  opts: ProbeOptions,
): Promise<DetailedProbe> {
  if (id.size === 0) throw new MediaError('media_corrupt', 'The file is empty.');
  const verify = opts.verify ?? true;
  let result: DetailedProbe;
  if (sniffed.kind !== 'image') {
    result = { probe: await probeAudioVideo(path, sniffed, id.size, limits, opts, verify) };
  } else {
    const image = await imageMetadata(path);
    result = { probe: await probeImage(path, sniffed, id.size, limits, image, verify), image };
  }
  probeCache.delete(id.key);
  probeCache.set(id.key, {
    ...result,
    probe: { ...result.probe },
    sniffed: { ...sniffed },
    verified: verify,
  });
  if (probeCache.size > PROBE_CACHE_SIZE) probeCache.delete(probeCache.keys().next().value as string);
  return result;
}

/** The limit checks of probeImage and probeAudioVideo, in the same order, on facts probed before. */
function recheckLimits({ probe, image }: DetailedProbe, limits: ProbeLimits): void {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const tooLong = (what: string, seconds: number) =>
    new MediaError(
      'media_too_large',
      `${what} lasts ${seconds} s; the limit is ${limits.maxDurationSeconds} s.`,
    );
  const overDuration =
    probe.duration !== undefined && limits.maxDurationSeconds && probe.duration > limits.maxDurationSeconds;
  if (image) {
    checkPixels(image.storedWidth, image.storedHeight * image.pages, { maxPixels });
    if (overDuration) throw tooLong('The animation', probe.duration!);
    return;
  }
  if (overDuration) throw tooLong('The media', round(probe.duration!, 1));
  if (probe.hasVideo && probe.width && probe.height) checkPixels(probe.width, probe.height, { maxPixels });
}

const IMAGE_CONTAINERS: Record<string, string> = { jpeg: 'jpeg', jpg: 'jpeg', tif: 'tiff', heif: 'heic' };
const ANIMATED_EXTS = new Set(['gif', 'webp', 'png']);

async function probeImage(
  path: string,
  sniffed: Sniffed,
  filesize: number,
  limits: ProbeLimits,
  meta: ImageMeta,
  verify: boolean,
): Promise<ProbeResult> {
  // a whole animation is decoded frame by frame, so every frame counts against the pixel budget
  checkPixels(meta.storedWidth, meta.storedHeight * meta.pages, {
    maxPixels: limits.maxPixels ?? DEFAULT_MAX_PIXELS,
  });
  if (verify) await verifyImage(path, meta);

  const animated = meta.pages > 1 && ANIMATED_EXTS.has(sniffed.ext);
  const container = IMAGE_CONTAINERS[sniffed.ext] ?? sniffed.ext;
  const { duration, fps } = animated ? animationTiming(meta) : {};
  if (duration !== undefined && limits.maxDurationSeconds && duration > limits.maxDurationSeconds) {
    throw new MediaError(
      'media_too_large',
      `The animation lasts ${duration} s; the limit is ${limits.maxDurationSeconds} s.`,
    );
  }
  return {
    kind: 'image',
    type: sniffed.mime,
    mime: sniffed.mime,
    ext: sniffed.ext,
    container,
    codec: container,
    width: meta.width,
    height: meta.height,
    orientation: orientationOf(meta.width, meta.height),
    rotation: 0,
    transparency: meta.hasAlpha,
    animated,
    frames: meta.pages,
    duration,
    fps,
    filesize,
    hasAudio: false,
    hasVideo: false,
  };
}

/** Length and frame rate of an animation from its frame delays (browsers show a 0 delay as 100 ms). */
function animationTiming(meta: Pick<ImageMeta, 'pages' | 'delays'>): { duration?: number; fps?: number } {
  if (!meta.delays?.length) return {};
  const totalMs = meta.delays.reduce((sum, d) => sum + (d > 0 ? d : 100), 0);
  const duration = round(totalMs / 1000, 3);
  return { duration, fps: duration > 0 ? round(meta.pages / duration, 3) : undefined };
}

const IMAGE_OUTPUT_EXT: Record<ImageOutput['format'], string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
};

/**
 * The probe facts of an image transformImage just wrote at `path`: the same answer probeFile gives for
 * that file, mostly from what sharp reported. The header is read only where the encoder has the last
 * word: animations (it may merge identical frames) and alpha (it drops an alpha channel that is opaque
 * everywhere, and a GIF always reads back with one; an output made without alpha never gains one).
 */
export async function probeImageOutput(path: string, out: ImageOutput): Promise<ProbeResult> {
  const header =
    out.animated || out.transparency || out.format === 'gif' ? await imageMetadata(path) : undefined;
  const ext = IMAGE_OUTPUT_EXT[out.format];
  const container = IMAGE_CONTAINERS[ext] ?? ext;
  const animated = header ? header.pages > 1 && ANIMATED_EXTS.has(ext) : false;
  const { duration, fps } = header && animated ? animationTiming(header) : {};
  return {
    kind: 'image',
    type: out.mime,
    mime: out.mime,
    ext,
    container,
    codec: container,
    width: out.width,
    height: out.height,
    orientation: orientationOf(out.width, out.height),
    rotation: 0,
    transparency: header ? header.hasAlpha : out.transparency,
    animated,
    frames: header ? header.pages : out.frames,
    duration,
    fps,
    filesize: out.size,
    hasAudio: false,
    hasVideo: false,
  };
}

async function probeAudioVideo(
  path: string,
  sniffed: Sniffed,
  filesize: number,
  limits: ProbeLimits,
  opts: ProbeOptions,
  verify: boolean,
): Promise<ProbeResult> {
  const info = opts.ffprobe ? await opts.ffprobe.read(path) : await ffprobeJson(path, opts);
  const video = info.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = info.streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) {
    throw new MediaError('media_unsupported', 'The file has no audio or video stream.');
  }
  const kind: MediaKind = video ? 'video' : 'audio';
  const { mime, ext, container } = containerFor(sniffed, kind);

  const duration = durationOf(info, video ?? audio);
  if (duration !== undefined && limits.maxDurationSeconds && duration > limits.maxDurationSeconds) {
    throw new MediaError(
      'media_too_large',
      `The media lasts ${round(duration, 1)} s; the limit is ${limits.maxDurationSeconds} s.`,
    );
  }

  let width: number | undefined;
  let height: number | undefined;
  let rotation = 0;
  let fps: number | undefined;
  let frames: number | undefined;
  if (video) {
    if (!video.width || !video.height)
      throw new MediaError('media_corrupt', 'The video stream has no picture size.');
    checkPixels(video.width, video.height, { maxPixels: limits.maxPixels ?? DEFAULT_MAX_PIXELS });
    rotation = rotationOf(video);
    const swap = rotation === 90 || rotation === 270;
    width = swap ? video.height : video.width;
    height = swap ? video.width : video.height;
    fps = frameRate(video.avg_frame_rate) ?? frameRate(video.r_frame_rate);
    const counted = Number(video.nb_frames);
    frames =
      Number.isFinite(counted) && counted > 0
        ? counted
        : fps && duration
          ? Math.round(fps * duration)
          : undefined;
  }

  if (verify) await verifyTail(path, opts);

  const bitrate =
    Number(info.format.bit_rate) || (duration ? Math.round((filesize * 8) / duration) : undefined);
  const codecs = codecsParam(ext, video, audio);
  return {
    kind,
    type: codecs ? `${mime}; codecs="${codecs}"` : mime,
    mime,
    ext,
    container,
    codec: (video ?? audio)?.codec_name,
    audioCodec: audio?.codec_name,
    width,
    height,
    orientation: orientationOf(width, height),
    rotation,
    transparency: video ? hasAlphaPixFmt(video.pix_fmt) : false,
    animated: false,
    frames,
    duration: duration === undefined ? undefined : round(duration, 3),
    fps,
    bitrate: bitrate ? Math.round(bitrate) : undefined,
    filesize,
    hasAudio: Boolean(audio),
    hasVideo: Boolean(video),
    sampleRate: audio?.sample_rate ? Number(audio.sample_rate) : undefined,
    channels: audio?.channels,
  };
}

function containerFor(sniffed: Sniffed, kind: MediaKind): { mime: string; ext: string; container: string } {
  const ext = sniffed.ext;
  if (kind === 'audio' && sniffed.kind === 'video') {
    // a video container holding only sound is delivered and labelled as audio
    if (ext === 'mp4' || ext === 'mov' || ext === '3gp')
      return { mime: 'audio/mp4', ext: 'm4a', container: 'mp4' };
    if (ext === 'webm') return { mime: 'audio/webm', ext: 'webm', container: 'webm' };
    if (ext === 'mkv') return { mime: 'audio/x-matroska', ext: 'mka', container: 'mkv' };
    if (ext === 'ogv') return { mime: 'audio/ogg', ext: 'ogg', container: 'ogg' };
  }
  if (kind === 'video' && sniffed.kind === 'audio') {
    if (ext === 'm4a') return { mime: 'video/mp4', ext: 'mp4', container: 'mp4' };
    if (ext === 'ogg' || ext === 'opus') return { mime: 'video/ogg', ext: 'ogv', container: 'ogg' };
  }
  const container = ext === 'm4a' ? 'mp4' : ext === 'opus' || ext === 'ogv' ? 'ogg' : ext;
  return { mime: sniffed.mime, ext, container };
}

function durationOf(info: FfprobeOutput, main: FfprobeStream | undefined): number | undefined {
  for (const candidate of [info.format.duration, main?.duration]) {
    const n = Number(candidate);
    if (candidate !== undefined && Number.isFinite(n) && n > 0) return n;
  }
  return undefined;
}

/**
 * Clockwise display rotation. ffprobe reports the display matrix angle counter-clockwise (-90 for a
 * phone held upright); older files carry a clockwise `rotate` tag instead.
 */
export function rotationOf(stream: FfprobeStream): number {
  const matrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number');
  let degrees: number | undefined;
  if (matrix?.rotation !== undefined) degrees = -matrix.rotation;
  else if (stream.tags?.rotate !== undefined) degrees = Number(stream.tags.rotate);
  if (degrees === undefined || !Number.isFinite(degrees)) return 0;
  const normalised = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return normalised;
}

export function frameRate(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const [num, den] = value.split('/').map(Number);
  const fps = den ? num / den : num;
  return Number.isFinite(fps) && fps > 0 && fps < 1000 ? round(fps, 3) : undefined;
}

function hasAlphaPixFmt(pixFmt: string | undefined): boolean {
  return Boolean(pixFmt && /^(yuva|rgba|argb|bgra|abgr|gbrap|ya)/.test(pixFmt));
}

const H264_PROFILES: Record<string, [number, number]> = {
  'Constrained Baseline': [66, 0x40],
  Baseline: [66, 0],
  Main: [77, 0],
  Extended: [88, 0],
  High: [100, 0],
  'High 10': [110, 0],
  'High 4:2:2': [122, 0],
  'High 4:4:4 Predictive': [244, 0],
};

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** RFC 6381 codec name of one stream, as browsers' canPlayType expects it. */
export function rfc6381(stream: FfprobeStream, ext: string): string | undefined {
  const isoFamily = ext === 'mp4' || ext === 'm4a' || ext === 'mov' || ext === '3gp';
  switch (stream.codec_name) {
    case 'h264': {
      const p = stream.profile ? H264_PROFILES[stream.profile] : undefined;
      if (!p || !stream.level || stream.level < 0) return 'avc1';
      return `avc1.${hex2(p[0])}${hex2(p[1])}${hex2(stream.level)}`;
    }
    case 'hevc':
      return stream.codec_tag_string === 'hev1' ? 'hev1' : 'hvc1';
    case 'vp9':
      return isoFamily ? 'vp09' : 'vp9';
    case 'vp8':
      return 'vp8';
    case 'av1':
      return 'av01';
    case 'mpeg4':
      return 'mp4v';
    case 'aac':
      if (stream.profile === 'HE-AAC') return 'mp4a.40.5';
      if (stream.profile === 'HE-AACv2') return 'mp4a.40.29';
      return 'mp4a.40.2';
    case 'mp3':
      return isoFamily ? 'mp4a.6b' : 'mp3';
    case 'opus':
      return 'opus';
    case 'vorbis':
      return 'vorbis';
    case 'flac':
      return 'flac';
    case 'ac3':
      return 'ac-3';
    case 'eac3':
      return 'ec-3';
    default:
      return undefined;
  }
}

const CODECS_CONTAINERS = new Set(['mp4', 'm4a', 'mov', '3gp', 'webm', 'mkv', 'mka', 'ogg', 'ogv', 'opus']);

function codecsParam(ext: string, video?: FfprobeStream, audio?: FfprobeStream): string | undefined {
  if (!CODECS_CONTAINERS.has(ext)) return undefined;
  const names = [video, audio].filter((s): s is FfprobeStream => Boolean(s)).map((s) => rfc6381(s, ext));
  if (names.some((n) => !n)) return undefined;
  return names.join(', ');
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
