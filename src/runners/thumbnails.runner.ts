// thumbnails: a sprite sheet of frames plus a WebVTT track whose cues point at regions of it
// (`sprite.jpg#xywh=x,y,w,h`), the form players read as <track kind="metadata"> (spec §6.4 thumbnails).
// Two outputs: the VTT (track/thumbnails, primary) and the sprite (source/image) it references by its
// real delivery URL, so the sprite's folder and filename are chosen here.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { OptionError } from '../media/errors.js';
import { type RunFfmpegOptions, runFfmpeg } from '../media/ffmpeg.js';
import { imageMetadata } from '../media/image.js';
import type { ProbeResult } from '../media/probe.js';
import {
  DEFAULT_THUMBNAIL_WIDTH,
  gridFor,
  MAX_THUMBNAILS,
  SPRITE_FORMATS,
  type SpriteFormat,
  type ThumbnailGrid,
  type ThumbnailOptions,
  thumbnailSchedule,
  thumbnailVtt,
} from '../media/thumbnails.js';
import {
  checkOptions,
  checkOutputPixels,
  ffmpegWatch,
  outputNaming,
  outputProps,
  probeInput,
  probeOutput,
  runMediaTask,
  StringEnum,
  sizeOption,
} from './media-task.js';
import {
  type OutputSpec,
  PermanentTaskError,
  type RunnerContext,
  type RunResult,
  type TaskKindDefinition,
} from './runner.js';

/** The longest side of one tile the media layer accepts. */
const MAX_TILE_SIDE = 1920;
/** WebP cannot be larger than this on either side; JPEG and PNG sprites this wide are useless anyway. */
const MAX_SPRITE_SIDE = 16383;
/** Above this a browser has too many tiles to scroll through; count caps it. */
const MAX_INTERVAL = 3600;

export const SPRITE_FORMAT_VALUES = [...SPRITE_FORMATS, 'jpg'] as const;

export const ThumbnailsTaskOptions = Type.Object(
  {
    count: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_THUMBNAILS,
        description: 'number of thumbnails, evenly spread over the video; wins over interval',
      }),
    ),
    interval: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: MAX_INTERVAL,
        default: 5,
        description: `seconds between thumbnails when count is not given (at most ${MAX_THUMBNAILS} thumbnails: longer videos get a longer interval)`,
      }),
    ),
    width: sizeOption('width', MAX_TILE_SIDE, 100),
    height: sizeOption('height', MAX_TILE_SIDE, 100),
    format: Type.Optional(
      StringEnum(SPRITE_FORMAT_VALUES, { default: 'jpeg', description: 'sprite image format (jpg = jpeg)' }),
    ),
    ...outputProps,
  },
  { additionalProperties: false },
);

export type ThumbnailsTaskOptions = Static<typeof ThumbnailsTaskOptions>;

const SPRITE_EXT: Record<SpriteFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Tile size in even pixels (default 160 px wide, the other side in proportion to the displayed picture). */
function tileSize(options: ThumbnailOptions, probe: ProbeResult): { width: number; height: number } | null {
  const iw = probe.width;
  const ih = probe.height;
  if (!iw || !ih) return null;
  const side = (value: ThumbnailOptions['width'], input: number): number | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string' && value.endsWith('%'))
      return Math.max(2, Math.trunc((input * Number(value.slice(0, -1))) / 100 / 2) * 2);
    return even(Number(value));
  };
  let w = side(options.width, iw);
  let h = side(options.height, ih);
  if (w === undefined && h === undefined) w = DEFAULT_THUMBNAIL_WIDTH;
  w ??= even((h! * iw) / ih);
  h ??= even((w * ih) / iw);
  return { width: w, height: h };
}

/** "intro.vtt" → "intro"; without a filename the task id keeps sprites of different tasks apart. */
function spriteBase(filename: string | undefined, taskId: string): string {
  if (!filename) return taskId;
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(0, dot) : filename;
}

// --- LOCAL WORKAROUND (remove once src/media/thumbnails.ts samples like this) --------------------------
// makeThumbnailTrack samples with `fps=1/interval:start_time=interval/2`. On ffmpeg 5.1 that filter
// rounds start_time onto its output grid and drops the last slot at end of input: count 4 on a 2 s clip
// yields frames at 0.5/1/1.5 s and a black fourth tile, and a video shorter than two default intervals
// yields no frame at all (the task failed with "The image could not be read"). Here the video is
// resampled to a dense constant rate, padded at the end with its last frame, and `select` takes the
// first frame at or after the middle of each slot: exactly `count` frames, one per cue.
async function buildSprite(
  inPath: string,
  spritePath: string,
  format: SpriteFormat,
  grid: ThumbnailGrid,
  inputFps: number | undefined,
  run: Omit<RunFfmpegOptions, 'durationSeconds'>,
): Promise<void> {
  const i = grid.interval;
  const num = (n: number) => String(Math.round(n * 1e6) / 1e6);
  const first = i / 2;
  // at least two frames per slot, so every slot has a frame of its own
  const rate = Math.max(inputFps ?? 25, 2 / i);
  const slot = (t: string) => `floor((${t}-${num(first)})/${num(i)})`;
  const select =
    `select='gte(t\\,${num(first)})*lt(t\\,${num(first + grid.count * i)})` +
    `*(isnan(prev_selected_t)+gte(${slot('t')}\\,${slot('prev_selected_t')}+1))'`;
  const filters = [
    `fps=fps=${num(rate)}:round=near`,
    `tpad=stop_mode=clone:stop_duration=${num(i)}`,
    select,
    `scale=${grid.tileWidth}:${grid.tileHeight}`,
    'setsar=1',
    `tile=${grid.columns}x${grid.rows}`,
  ];
  const codec: Record<SpriteFormat, string[]> = {
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
      '-dn',
      '-map_metadata',
      '-1',
      '-vf',
      filters.join(','),
      '-fps_mode',
      'passthrough',
      '-frames:v',
      '1',
      ...codec[format],
      '-update',
      '1',
      spritePath,
    ],
    { ...run, durationSeconds: grid.duration },
  );
}
// --- end of LOCAL WORKAROUND ---------------------------------------------------------------------------

async function run(ctx: RunnerContext): Promise<RunResult> {
  return runMediaTask(async () => {
    const options = checkOptions<ThumbnailsTaskOptions>(ThumbnailsTaskOptions, ctx.task.options);
    const { path, probe } = await probeInput(ctx, 'thumbnails', ['video']);
    if (!probe.duration) {
      throw new PermanentTaskError(
        'The input video has no known duration, so thumbnails cannot be spread over it.',
      );
    }
    const duration = probe.duration;

    // the sprite's size follows from the schedule and the tile size: refuse a huge one up front
    const { count, interval } = thumbnailSchedule(options, duration);
    const { columns, rows } = gridFor(count);
    const tile = tileSize(options, probe);
    if (!tile) throw new PermanentTaskError('The input video has no known picture size.');
    const spriteW = columns * tile.width;
    const spriteH = rows * tile.height;
    if (Math.max(spriteW, spriteH) > MAX_SPRITE_SIDE) {
      throw new OptionError(
        tile.width >= tile.height ? 'width' : 'height',
        `The sprite of ${count} thumbnails at ${tile.width}×${tile.height} would be ${spriteW}×${spriteH}, over ${MAX_SPRITE_SIDE} pixels on a side; choose fewer or smaller thumbnails.`,
      );
    }
    checkOutputPixels(spriteW, spriteH, ctx, `The sprite of ${count} thumbnails`);

    const format: SpriteFormat = options.format === 'jpg' ? 'jpeg' : (options.format ?? 'jpeg');
    const ext = SPRITE_EXT[format];
    const naming = outputNaming(options);
    const spriteFilename = `${spriteBase(options.filename, ctx.task.id)}-sprite.${ext}`;
    const spritePath = join(ctx.workDir, `sprite.${ext}`);
    const grid: ThumbnailGrid = {
      count,
      columns,
      rows,
      tileWidth: tile.width,
      tileHeight: tile.height,
      interval,
      duration,
    };
    await buildSprite(path, spritePath, format, grid, probe.fps, ffmpegWatch(ctx));
    const made = await imageMetadata(spritePath);
    if (made.width !== spriteW || made.height !== spriteH) {
      throw new Error(`The sprite came out ${made.width}×${made.height} instead of ${spriteW}×${spriteH}.`);
    }

    // the cues point at the sprite's real delivery URL, so a player can load it as it is
    const vttText = thumbnailVtt(grid, ctx.urlFor(naming.folder, spriteFilename));
    const vttPath = join(ctx.workDir, 'thumbnails.vtt');
    await writeFile(vttPath, vttText);
    const spriteFacts = await probeOutput(spritePath, ctx.signal);

    const vtt: OutputSpec = {
      localPath: vttPath,
      object: 'track',
      kind: 'thumbnails',
      type: 'text/vtt',
      facts: { duration, filesize: Buffer.byteLength(vttText) },
      ext: 'vtt',
      ...naming,
      primary: true,
    };
    const sprite: OutputSpec = {
      localPath: spritePath,
      object: 'source',
      kind: 'image',
      type: spriteFacts.type,
      facts: spriteFacts,
      ext,
      // a ref of its own, so the sprite does not replace the track in media.urls
      ref: naming.ref ? `${naming.ref}-sprite` : null,
      folder: naming.folder,
      filename: spriteFilename,
    };
    return { outputs: [vtt, sprite] };
  });
}

export const thumbnailsKind: TaskKindDefinition = {
  kind: 'thumbnails',
  accepts: ['video'],
  options: ThumbnailsTaskOptions,
  formats: [...SPRITE_FORMATS],
  description:
    'Makes a sprite sheet of video frames (count, or one every interval seconds; tile width/height) and a WebVTT thumbnails track whose cues point at its tiles with #xywh=.',
  run,
};
