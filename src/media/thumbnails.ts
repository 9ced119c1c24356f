import { join } from 'node:path';
import { MediaError, OptionError } from './errors.js';
import { checkFrameAt, type RunFfmpegOptions, runFfmpeg } from './ffmpeg.js';
import { imageMetadata } from './image.js';
import { parseChoice, parseSizeOption, type Size, type SizeValue } from './options.js';

export type SpriteFormat = 'jpeg' | 'png' | 'webp';
export const SPRITE_FORMATS: readonly SpriteFormat[] = ['jpeg', 'png', 'webp'];

export interface ThumbnailOptions {
  count?: number;
  /** seconds between thumbnails; ignored when count is given */
  interval?: number;
  width?: SizeValue;
  height?: SizeValue;
  format?: string;
}

/** The grid the VTT describes; enough to re-render the VTT once the sprite's URL is known. */
export interface ThumbnailGrid {
  count: number;
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
  /** seconds covered by each tile */
  interval: number;
  duration: number;
}

export interface ThumbnailTrack extends ThumbnailGrid {
  spritePath: string;
  spriteMime: string;
  spriteExt: string;
  spriteFormat: SpriteFormat;
  vtt: string;
}

/** What the builder needs to know of the input video (a ProbeResult fits); sizes as displayed. */
export interface ThumbnailInput {
  duration?: number;
  width?: number;
  height?: number;
  fps?: number;
}

export const DEFAULT_THUMBNAIL_WIDTH = 160;
export const MAX_THUMBNAILS = 100;
/** The longest side of one tile. */
export const MAX_TILE_SIDE = 1920;
/** Above this a browser has too many tiles to scroll through; count caps it. */
export const MAX_INTERVAL = 3600;
/** WebP cannot be larger than this on either side; JPEG and PNG sprites this wide are useless anyway. */
export const MAX_SPRITE_SIDE = 16383;
const DEFAULT_INTERVAL = 5;
const MAX_SAMPLE_RATE = 240;

const MIME: Record<SpriteFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
const EXT: Record<SpriteFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

/** count and interval from the options: count wins; else one per interval; capped at MAX_THUMBNAILS. */
export function thumbnailSchedule(
  opts: ThumbnailOptions,
  duration: number,
): { count: number; interval: number } {
  if (!(duration > 0)) throw new OptionError('duration', 'Thumbnails need an input with a known duration.');
  if (opts.count !== undefined && opts.count !== null) {
    const count = Number(opts.count);
    if (!Number.isInteger(count) || count < 1 || count > MAX_THUMBNAILS) {
      throw new OptionError(
        'count',
        `count must be a whole number from 1 to ${MAX_THUMBNAILS}; got "${opts.count}".`,
      );
    }
    return { count, interval: duration / count };
  }
  let interval = DEFAULT_INTERVAL;
  if (opts.interval !== undefined && opts.interval !== null) {
    interval = Number(opts.interval);
    if (!Number.isFinite(interval) || interval <= 0 || interval > MAX_INTERVAL) {
      throw new OptionError(
        'interval',
        `interval must be a number of seconds above 0 and at most ${MAX_INTERVAL}; got "${opts.interval}".`,
      );
    }
  }
  let count = Math.max(1, Math.ceil(duration / interval - 1e-9));
  if (count > MAX_THUMBNAILS) {
    count = MAX_THUMBNAILS;
    interval = duration / count;
  }
  return { count, interval: Math.min(interval, duration) };
}

/** A near-square grid keeps the sprite's longest side small. */
export function gridFor(count: number): { columns: number; rows: number } {
  const columns = Math.ceil(Math.sqrt(count));
  return { columns, rows: Math.ceil(count / columns) };
}

export function vttTimestamp(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}

/**
 * The WebVTT thumbnails track: one cue per tile, pointing at its region of the sprite with a media
 * fragment (`#xywh=`). Pure, so the caller can render it again once the sprite has its final URL.
 */
export function thumbnailVtt(grid: ThumbnailGrid, spriteUrl: string): string {
  const cues = ['WEBVTT', ''];
  for (let i = 0; i < grid.count; i++) {
    const start = i * grid.interval;
    const end = i === grid.count - 1 ? grid.duration : Math.min((i + 1) * grid.interval, grid.duration);
    const x = (i % grid.columns) * grid.tileWidth;
    const y = Math.floor(i / grid.columns) * grid.tileHeight;
    cues.push(`${vttTimestamp(start)} --> ${vttTimestamp(end)}`);
    cues.push(`${spriteUrl}#xywh=${x},${y},${grid.tileWidth},${grid.tileHeight}`, '');
  }
  return cues.join('\n');
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
/** A percentage of a side, rounded down to even pixels, as `trunc(iw*p/2)*2` does in ffmpeg. */
const evenPart = (side: number, percent: number) => Math.max(2, Math.trunc((side * percent) / 100 / 2) * 2);

/**
 * The tile size in even pixels: default 160 px wide, a missing side in proportion to the displayed
 * picture. Without the input's size the scale is left to ffmpeg expressions and the size is unknown.
 */
function tileSize(
  opts: ThumbnailOptions,
  input: ThumbnailInput,
): { width?: number; height?: number; scale: string } {
  const limits = { maxPixels: MAX_TILE_SIDE, maxPercent: 100 };
  let w = parseSizeOption('width', opts.width, limits);
  const h = parseSizeOption('height', opts.height, limits);
  if (!w && !h) w = { px: DEFAULT_THUMBNAIL_WIDTH };
  const { width: iw, height: ih } = input;
  if (!iw || !ih) {
    const expr = (size: Size | undefined, base: string) =>
      size === undefined
        ? '-2'
        : size.px !== undefined
          ? String(even(size.px))
          : `trunc(${base}*${size.percent / 100}/2)*2`;
    return { scale: `scale=${expr(w, 'iw')}:${expr(h, 'ih')}` };
  }
  const side = (size: Size | undefined, of: number) =>
    size === undefined ? undefined : size.px !== undefined ? even(size.px) : evenPart(of, size.percent);
  let width = side(w, iw);
  let height = side(h, ih);
  width ??= even((height! * iw) / ih);
  height ??= even((width * ih) / iw);
  return { width, height, scale: `scale=${width}:${height}` };
}

/** What the thumbnails of a video will be, worked out before any frame is decoded. */
export interface ThumbnailPlan {
  count: number;
  interval: number;
  duration: number;
  columns: number;
  rows: number;
  /** known when the input's picture size is */
  tileWidth?: number;
  tileHeight?: number;
  spriteWidth?: number;
  spriteHeight?: number;
  format: SpriteFormat;
  mime: string;
  ext: string;
  /** the ffmpeg scale filter making one tile */
  scale: string;
}

/**
 * Schedule, grid, tile and sprite size for these options: refuses, before any work, options that
 * cannot be honoured and a sprite too large to write.
 */
export function planThumbnails(input: ThumbnailInput, opts: ThumbnailOptions): ThumbnailPlan {
  const format = parseChoice('format', opts.format, SPRITE_FORMATS, { jpg: 'jpeg' }) ?? 'jpeg';
  if (!input.duration) {
    throw new MediaError(
      'media_unsupported',
      'The input video has no known duration, so thumbnails cannot be spread over it.',
    );
  }
  const { count, interval } = thumbnailSchedule(opts, input.duration);
  const { columns, rows } = gridFor(count);
  const tile = tileSize(opts, input);
  const plan: ThumbnailPlan = {
    count,
    interval,
    duration: input.duration,
    columns,
    rows,
    tileWidth: tile.width,
    tileHeight: tile.height,
    format,
    mime: MIME[format],
    ext: EXT[format],
    scale: tile.scale,
  };
  if (tile.width && tile.height) {
    plan.spriteWidth = columns * tile.width;
    plan.spriteHeight = rows * tile.height;
    if (Math.max(plan.spriteWidth, plan.spriteHeight) > MAX_SPRITE_SIDE) {
      throw new OptionError(
        tile.width >= tile.height ? 'width' : 'height',
        `The sprite of ${count} thumbnails at ${tile.width}×${tile.height} would be ${plan.spriteWidth}×${plan.spriteHeight}, over ${MAX_SPRITE_SIDE} pixels on a side; choose fewer or smaller thumbnails.`,
      );
    }
  }
  return plan;
}

/** Seconds for an ffmpeg expression: plain decimal, no exponent. */
const num = (n: number) => String(Math.round(n * 1e6) / 1e6);

/**
 * Filters that keep exactly `count` frames: the first frame at or after the middle of each slot.
 * The video is resampled to a constant rate of at least two frames a slot, so every slot has a frame
 * of its own, and padded at the end with its last frame, so the last slot has one even when its middle
 * lies past the end. (ffmpeg 5.1's `fps=1/interval:start_time=…` instead rounds start_time onto its
 * output grid and drops the last slot at the end of the input: tiles half a slot early, a black last
 * tile, and no frame at all for a video shorter than two intervals.)
 */
function sampleFilters(plan: ThumbnailPlan, inputFps: number | undefined): string[] {
  const i = plan.interval;
  const first = i / 2;
  // a bogus probed rate (some containers report the timebase) must not make millions of frames
  const rate = Math.max(Math.min(inputFps ?? 25, MAX_SAMPLE_RATE), 2 / i);
  const slot = (t: string) => `floor((${t}-${num(first)})/${num(i)})`;
  return [
    `fps=fps=${num(rate)}:round=near`,
    `tpad=stop_mode=clone:stop_duration=${num(i)}`,
    `select='gte(t\\,${num(first)})*lt(t\\,${num(first + plan.count * i)})` +
      `*(isnan(prev_selected_t)+gte(${slot('t')}\\,${slot('prev_selected_t')}+1))'`,
  ];
}

const CODEC_ARGS: Record<SpriteFormat, string[]> = {
  jpeg: ['-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'],
  png: ['-c:v', 'png'],
  webp: ['-c:v', 'libwebp', '-quality', '80'],
};

/**
 * Builds the sprite in one ffmpeg pass (sample → scale → tile) and returns it with its VTT.
 * `input` is the video's duration in seconds, or its probe facts (a ProbeResult fits): with its
 * picture size the tiles have an exact size known in advance, with its frame rate the sampling
 * follows it. `spriteUrl` may be a placeholder the caller replaces, or use thumbnailVtt() again with
 * the grid.
 */
export async function makeThumbnailTrack(
  inPath: string,
  outDir: string,
  opts: ThumbnailOptions,
  input: number | ThumbnailInput,
  spriteUrl: string,
  run: Omit<RunFfmpegOptions, 'durationSeconds'> = {},
): Promise<ThumbnailTrack> {
  const facts = typeof input === 'number' ? { duration: input } : input;
  const plan = planThumbnails(facts, opts);
  const spritePath = join(outDir, `sprite.${plan.ext}`);
  const filters = [
    ...sampleFilters(plan, facts.fps),
    plan.scale,
    'setsar=1',
    `tile=${plan.columns}x${plan.rows}`,
  ];
  // the last frame asked for, looked for beside the sprite pass: a file whose data ends before its
  // header says would otherwise give a sprite of repeated or black tiles
  const lastAt = plan.interval / 2 + (plan.count - 1) * plan.interval;
  const frameCheck = facts.duration
    ? checkFrameAt(inPath, lastAt, facts.duration, { signal: run.signal })
    : Promise.resolve();
  frameCheck.catch(() => {});
  await runFfmpeg(
    [
      '-y',
      '-nostdin',
      '-i',
      inPath,
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-map_metadata',
      '-1',
      '-vf',
      filters.join(','),
      // the selected frames keep their own times: no duplicating or dropping to a rate
      '-fps_mode',
      'passthrough',
      '-frames:v',
      '1',
      ...CODEC_ARGS[plan.format],
      '-update',
      '1',
      spritePath,
    ],
    { ...run, durationSeconds: plan.duration },
  );
  await frameCheck;
  const sprite = await imageMetadata(spritePath);
  if (plan.spriteWidth && (sprite.width !== plan.spriteWidth || sprite.height !== plan.spriteHeight)) {
    throw new Error(
      `The sprite came out ${sprite.width}×${sprite.height} instead of ${plan.spriteWidth}×${plan.spriteHeight}.`,
    );
  }
  const grid: ThumbnailGrid = {
    count: plan.count,
    columns: plan.columns,
    rows: plan.rows,
    tileWidth: plan.tileWidth ?? Math.round(sprite.width / plan.columns),
    tileHeight: plan.tileHeight ?? Math.round(sprite.height / plan.rows),
    interval: plan.interval,
    duration: plan.duration,
  };
  return {
    ...grid,
    spritePath,
    spriteMime: plan.mime,
    spriteExt: plan.ext,
    spriteFormat: plan.format,
    vtt: thumbnailVtt(grid, spriteUrl),
  };
}
