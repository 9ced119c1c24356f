// image: resize/convert an image, or grab a frame of a video as one (spec §6.4 image). EXIF orientation
// is applied and metadata stripped; HEIC inputs are decoded; the default format is the input's own
// (JPEG for HEIC and for video frames).
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import {
  IMAGE_EXT,
  IMAGE_FORMATS,
  type ImageFormat,
  type ImageOutput,
  imageFromVideo,
  imageMetadata,
  outputImageFormat,
  transformImage,
} from '../media/image.js';
import { parseSize } from '../media/options.js';
import { probeImageOutput } from '../media/probe.js';
import {
  checkOptions,
  checkOutputPixels,
  ffmpegWatch,
  HEX_COLOR_PATTERN,
  outputProps,
  probeInput,
  qualityOption,
  resizeOptions,
  runMediaTask,
  StringEnum,
  singleSourceOutput,
} from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

export const IMAGE_FORMAT_VALUES = [...IMAGE_FORMATS, 'jpg'] as const;

export const ImageTaskOptions = Type.Object(
  {
    ...resizeOptions,
    background: Type.Optional(
      Type.String({
        pattern: HEX_COLOR_PATTERN,
        description:
          'hex colour of the padding with fit contain, e.g. #20B075; default transparent when the format has alpha, else black',
      }),
    ),
    format: Type.Optional(
      StringEnum(IMAGE_FORMAT_VALUES, {
        description: 'output format (jpg = jpeg); default: the input’s (jpeg for HEIC and video frames)',
      }),
    ),
    quality: qualityOption('compression quality: 1–100 or very_low … very_high', 80),
    start: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'for a video input: the time of the frame, seconds; default 10% into the video (0 for videos under a second)',
      }),
    ),
    ...outputProps,
  },
  { additionalProperties: false },
);

export type ImageTaskOptions = Static<typeof ImageTaskOptions>;

/** A frame ~10% in avoids the black or title frame most videos open with. */
export function defaultFrameTime(duration: number | undefined): number {
  if (!duration || duration < 1) return 0;
  return Math.round(duration * 100) / 1000;
}

/** The output size the options ask for, to check the pixel limit before anything is decoded. */
function plannedSize(
  options: ImageTaskOptions,
  width: number | undefined,
  height: number | undefined,
): { width?: number; height?: number } {
  const w = parseSize('width', options.width, width);
  const h = parseSize('height', options.height, height);
  if (w !== undefined && h !== undefined) return { width: w, height: h };
  if (!width || !height) return { width: w, height: h };
  if (w !== undefined) return { width: w, height: Math.round((w * height) / width) };
  if (h !== undefined) return { width: Math.round((h * width) / height), height: h };
  return { width, height };
}

async function run(ctx: RunnerContext): Promise<RunResult> {
  return runMediaTask(async () => {
    const options = checkOptions<ImageTaskOptions>(ImageTaskOptions, ctx.task.options);
    const { path, probe, image } = await probeInput(ctx, 'image', ['image', 'video']);
    const planned = plannedSize(options, probe.width, probe.height);
    checkOutputPixels(planned.width, planned.height, ctx);
    const limits = { maxPixels: ctx.limits.maxPixels };

    let format: ImageFormat;
    let outPath: string;
    let made: ImageOutput;
    if (probe.kind === 'video') {
      format = outputImageFormat(options.format ?? 'jpeg', { format: 'png', heic: false });
      outPath = join(ctx.workDir, `output.${IMAGE_EXT[format]}`);
      const at = options.start ?? defaultFrameTime(probe.duration);
      ctx.progress(10);
      const { signal, stallTimeoutMs } = ffmpegWatch(ctx);
      made = await imageFromVideo(path, outPath, at, options, limits, {
        signal,
        stallTimeoutMs,
        claimedDuration: probe.duration,
      });
    } else {
      // the probe read the header already; the transform and the format choice reuse it
      const meta = image ?? (await imageMetadata(path));
      format = outputImageFormat(options.format, meta);
      outPath = join(ctx.workDir, `output.${IMAGE_EXT[format]}`);
      made = await transformImage(path, outPath, options, limits, meta);
    }

    // from what sharp reported; the output's header is read only where the encoder has the last word
    const facts = await probeImageOutput(outPath, made);
    return singleSourceOutput(options, {
      localPath: outPath,
      kind: 'image',
      type: facts.type,
      facts,
      ext: IMAGE_EXT[format],
    });
  });
}

export const imageKind: TaskKindDefinition = {
  kind: 'image',
  accepts: ['image', 'video'],
  options: ImageTaskOptions,
  formats: [...IMAGE_FORMATS],
  description:
    'Resizes or converts an image, or takes a still from a video at `start`: size (px or %, fill/cover/contain), format (jpeg, png, webp, avif, gif), quality. EXIF orientation is applied and metadata removed.',
  run,
};
