// thumbnails: a sprite sheet of frames plus a WebVTT track whose cues point at regions of it
// (`sprite.jpg#xywh=x,y,w,h`), the form players read as <track kind="metadata"> (spec §6.4 thumbnails).
// Two outputs: the VTT (track/thumbnails, primary) and the sprite (source/image) it references by its
// real delivery URL, so the sprite's folder and filename are chosen here.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import {
  MAX_INTERVAL,
  MAX_THUMBNAILS,
  MAX_TILE_SIDE,
  makeThumbnailTrack,
  planThumbnails,
  SPRITE_FORMATS,
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
import type { OutputSpec, RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

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
    // the sprite's size follows from the schedule and the tile size: refuse a huge one up front
    const plan = planThumbnails(probe, options);
    checkOutputPixels(plan.spriteWidth, plan.spriteHeight, ctx, `The sprite of ${plan.count} thumbnails`);

    const naming = outputNaming(options);
    const spriteFilename = `${spriteBase(options.filename, ctx.task.id)}-sprite.${plan.ext}`;
    // the cues point at the sprite's real delivery URL, so a player can load it as it is
    const made = await makeThumbnailTrack(
      path,
      ctx.workDir,
      options,
      probe,
      ctx.urlFor(naming.folder, spriteFilename),
      ffmpegWatch(ctx),
    );
    const vttPath = join(ctx.workDir, 'thumbnails.vtt');
    await writeFile(vttPath, made.vtt);
    const spriteFacts = await probeOutput(made.spritePath, ctx.signal);

    const vtt: OutputSpec = {
      localPath: vttPath,
      object: 'track',
      kind: 'thumbnails',
      type: 'text/vtt',
      facts: { duration: made.duration, filesize: Buffer.byteLength(made.vtt) },
      ext: 'vtt',
      ...naming,
      primary: true,
    };
    const sprite: OutputSpec = {
      localPath: made.spritePath,
      object: 'source',
      kind: 'image',
      type: spriteFacts.type,
      facts: spriteFacts,
      ext: made.spriteExt,
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
