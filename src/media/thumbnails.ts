import { join } from 'node:path';
import { OptionError } from './errors.js';
import { type RunFfmpegOptions, runFfmpeg } from './ffmpeg.js';
import { imageMetadata } from './image.js';
import { parseSize, type SizeValue } from './options.js';

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

export const DEFAULT_THUMBNAIL_WIDTH = 160;
export const MAX_THUMBNAILS = 100;
const DEFAULT_INTERVAL = 5;
const MAX_TILE_SIDE = 1920;

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
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new OptionError(
        'interval',
        `interval must be a number of seconds above 0; got "${opts.interval}".`,
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

function spriteFormat(value: string | undefined): SpriteFormat {
  if (value === undefined || value === null || value === '') return 'jpeg';
  const f = String(value).toLowerCase();
  const named = (f === 'jpg' ? 'jpeg' : f) as SpriteFormat;
  if (!SPRITE_FORMATS.includes(named)) {
    throw new OptionError(
      'format',
      `format must be one of ${SPRITE_FORMATS.join(', ')}; got "${value}".`,
      SPRITE_FORMATS,
    );
  }
  return named;
}

/** The tile scale filter: exact sizes when known, ffmpeg expressions for percentages. */
function tileScale(opts: ThumbnailOptions): string {
  const side = (name: 'width' | 'height', value: SizeValue | undefined): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string' && value.trim().endsWith('%')) {
      const pct = Number(value.trim().slice(0, -1));
      if (!Number.isFinite(pct) || pct <= 0 || pct > 100) {
        throw new OptionError(name, `${name} as a percentage must be between 0 and 100%; got "${value}".`);
      }
      const base = name === 'width' ? 'iw' : 'ih';
      return `trunc(${base}*${pct / 100}/2)*2`;
    }
    const px = parseSize(name, value)!;
    if (px > MAX_TILE_SIDE)
      throw new OptionError(name, `${name} must be at most ${MAX_TILE_SIDE} pixels; got ${px}.`);
    return String(Math.max(2, Math.round(px / 2) * 2));
  };
  let w = side('width', opts.width);
  const h = side('height', opts.height);
  if (w === undefined && h === undefined) w = String(DEFAULT_THUMBNAIL_WIDTH);
  return `scale=${w ?? -2}:${h ?? -2}`;
}

/**
 * Builds the sprite in one ffmpeg pass (fps sampling → scale → tile) and returns it with its VTT.
 * `spriteUrl` may be a placeholder the caller replaces, or use thumbnailVtt() again with the grid.
 */
export async function makeThumbnailTrack(
  inPath: string,
  outDir: string,
  opts: ThumbnailOptions,
  durationSeconds: number,
  spriteUrl: string,
  run: Omit<RunFfmpegOptions, 'durationSeconds'> = {},
): Promise<ThumbnailTrack> {
  const format = spriteFormat(opts.format);
  const { count, interval } = thumbnailSchedule(opts, durationSeconds);
  const { columns, rows } = gridFor(count);
  const spritePath = join(outDir, `sprite.${EXT[format]}`);
  // sample at the middle of each interval: the very first frame is often black
  const filters = [
    `fps=fps=${(1 / interval).toFixed(6)}:start_time=${(interval / 2).toFixed(3)}:round=near`,
    tileScale(opts),
    'setsar=1',
    `tile=${columns}x${rows}`,
  ];
  const codecArgs: Record<SpriteFormat, string[]> = {
    jpeg: ['-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'],
    png: ['-c:v', 'png'],
    webp: ['-c:v', 'libwebp', '-quality', '80'],
  };
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
      '-map_metadata',
      '-1',
      '-vf',
      filters.join(','),
      '-frames:v',
      '1',
      ...codecArgs[format],
      '-update',
      '1',
      spritePath,
    ],
    { ...run, durationSeconds },
  );
  const sprite = await imageMetadata(spritePath);
  const grid: ThumbnailGrid = {
    count,
    columns,
    rows,
    tileWidth: Math.round(sprite.width / columns),
    tileHeight: Math.round(sprite.height / rows),
    interval,
    duration: durationSeconds,
  };
  return {
    ...grid,
    spritePath,
    spriteMime: MIME[format],
    spriteExt: EXT[format],
    spriteFormat: format,
    vtt: thumbnailVtt(grid, spriteUrl),
  };
}
