// thumbnails: a sprite sheet of frames plus a WebVTT track whose cues point at regions of it
// (`sprite.jpg#xywh=x,y,w,h`), the form players read as <track kind="metadata"> (spec §6.4 thumbnails).
// Two outputs: the VTT (track/thumbnails, primary) and the sprite (source/image) it references by its
// real delivery URL, so the sprite's folder and filename are chosen here.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { OptionError } from '../media/errors.js';
import type { ProbeResult } from '../media/probe.js';
import {
  DEFAULT_THUMBNAIL_WIDTH,
  gridFor,
  MAX_THUMBNAILS,
  makeThumbnailTrack,
  SPRITE_FORMATS,
  type ThumbnailOptions,
  thumbnailSchedule,
} from '../media/thumbnails.js';
import {
  checkOptions,
  checkOutputPixels,
  outputNaming,
  outputProps,
  probeInput,
  probeOutput,
  progressTo,
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

const SPRITE_EXT: Record<string, string> = { jpeg: 'jpg', jpg: 'jpg', png: 'png', webp: 'webp' };

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** Tile size as the media layer's scale filter will make it (default 160 px wide, aspect kept). */
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

async function run(ctx: RunnerContext): Promise<RunResult> {
  return runMediaTask(async () => {
    const options = checkOptions<ThumbnailsTaskOptions>(ThumbnailsTaskOptions, ctx.task.options);
    const { path, probe } = await probeInput(ctx, 'thumbnails', ['video']);
    if (!probe.duration) {
      throw new PermanentTaskError('The input video has no known duration, so thumbnails cannot be spread over it.');
    }
    const duration = probe.duration;

    // the sprite's size follows from the schedule and the tile size: refuse a huge one up front
    const { count } = thumbnailSchedule(options, duration);
    const { columns, rows } = gridFor(count);
    const tile = tileSize(options, probe);
    if (tile) {
      const spriteW = columns * tile.width;
      const spriteH = rows * tile.height;
      if (Math.max(spriteW, spriteH) > MAX_SPRITE_SIDE) {
        throw new OptionError(
          tile.width >= tile.height ? 'width' : 'height',
          `The sprite of ${count} thumbnails at ${tile.width}×${tile.height} would be ${spriteW}×${spriteH}, over ${MAX_SPRITE_SIDE} pixels on a side; choose fewer or smaller thumbnails.`,
        );
      }
      checkOutputPixels(spriteW, spriteH, ctx, `The sprite of ${count} thumbnails`);
    }

    const naming = outputNaming(options);
    const spriteFilename = `${spriteBase(options.filename, ctx.task.id)}-sprite.${SPRITE_EXT[options.format ?? 'jpeg']}`;
    const spriteUrl = ctx.urlFor(naming.folder, spriteFilename);

    const track = await makeThumbnailTrack(path, ctx.workDir, options, duration, spriteUrl, {
      signal: ctx.signal,
      onProgress: progressTo(ctx),
    });
    const vttPath = join(ctx.workDir, 'thumbnails.vtt');
    await writeFile(vttPath, track.vtt);
    const spriteFacts = await probeOutput(track.spritePath, ctx.signal);

    const vtt: OutputSpec = {
      localPath: vttPath,
      object: 'track',
      kind: 'thumbnails',
      type: 'text/vtt',
      facts: { duration, filesize: Buffer.byteLength(track.vtt) },
      ext: 'vtt',
      ...naming,
      primary: true,
    };
    const sprite: OutputSpec = {
      localPath: track.spritePath,
      object: 'source',
      kind: 'image',
      type: spriteFacts.type || track.spriteMime,
      facts: spriteFacts,
      ext: track.spriteExt,
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
