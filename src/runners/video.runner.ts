// video: transcode/resize/trim a video (spec §6.4 video). Defaults: same size and frame rate, H.264 +
// AAC in MP4 with the moov atom in front (fast start).
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { ffmpegEncoders, runFfmpeg } from '../media/ffmpeg.js';
import type { ProbeResult } from '../media/probe.js';
import {
  DEFAULT_VIDEO_SPEED,
  encoderThreads,
  planVideo,
  VIDEO_CODECS,
  VIDEO_FORMATS,
  VIDEO_SPEEDS,
} from '../media/video-args.js';
import { runHlsFromVideo } from './adaptive-video.runner.js';
import {
  checkOptions,
  checkOutputDuration,
  checkOutputPixels,
  ffmpegWatch,
  HEX_COLOR_PATTERN,
  outputProps,
  prepareOutputProbe,
  probeInput,
  qualityOption,
  resizeOptions,
  runMediaTask,
  StringEnum,
  singleSourceOutput,
  trimOptions,
} from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

export const VideoTaskOptions = Type.Object(
  {
    ...resizeOptions,
    background: Type.Optional(
      Type.String({
        pattern: HEX_COLOR_PATTERN,
        default: '#000000',
        description: 'hex colour of the padding with fit contain, e.g. #20B075',
      }),
    ),
    fps: Type.Optional(
      Type.Number({ minimum: 1, maximum: 60, description: 'frames per second; default: the input’s' }),
    ),
    format: Type.Optional(
      StringEnum([...VIDEO_FORMATS, 'hls'], {
        description:
          'container; default mp4 (webm when codec is vp9); hls makes an adaptive package (see adaptive_video)',
      }),
    ),
    codec: Type.Optional(
      StringEnum(VIDEO_CODECS, {
        description:
          'video codec; must fit the format: h264/h265 → mp4 or mov, vp9 → webm, av1 → mp4 or webm. Default: h264 for mp4/mov, vp9 for webm',
      }),
    ),
    quality: qualityOption(
      'constant-quality level: 1–100 (higher is better) or very_low … very_high',
      'medium',
    ),
    bitrate: Type.Optional(
      Type.Integer({
        minimum: 300_000,
        maximum: 60_000_000,
        description: 'video bitrate cap in bits per second; default: decided by quality',
      }),
    ),
    speed: Type.Optional(
      StringEnum(VIDEO_SPEEDS, {
        default: DEFAULT_VIDEO_SPEED,
        description:
          'encoder effort (beyond ittybit): fastest, fast, balanced or best. Quality stays as asked; slower speeds make smaller files and take longer',
      }),
    ),
    ...trimOptions,
    no_audio: Type.Optional(Type.Boolean({ default: false, description: 'drop the audio track' })),
    ...outputProps,
  },
  { additionalProperties: false },
);

export type VideoTaskOptions = Static<typeof VideoTaskOptions>;

async function run(ctx: RunnerContext): Promise<RunResult> {
  if (ctx.task.options.format === 'hls') return runHlsFromVideo(ctx);
  return runMediaTask(async () => {
    const options = checkOptions<VideoTaskOptions>(VideoTaskOptions, ctx.task.options);
    const { path, probe } = await probeInput(ctx, 'video', ['video']);
    const encoders = await ffmpegEncoders();
    // the extension is only a name: the builder forces the muxer with -f
    const outPath = join(ctx.workDir, 'output');
    const threads = encoderThreads(availableParallelism(), ctx.slots ?? 1);
    const plan = planVideo(probe, options, path, outPath, { encoders, threads });
    checkOutputPixels(plan.width, plan.height, ctx);

    // the output's ffprobe starts with the transcode, so that its start-up costs no time
    const outputProbe = await prepareOutputProbe(ctx);
    let facts: ProbeResult;
    try {
      await runFfmpeg(plan.args, { ...ffmpegWatch(ctx), durationSeconds: plan.duration });
      facts = await outputProbe.probe(outPath);
    } finally {
      outputProbe.cancel();
    }
    checkOutputDuration(probe, plan.duration, facts.duration, options.start);
    return singleSourceOutput(options, {
      localPath: outPath,
      kind: 'video',
      type: facts.type || plan.mime,
      facts,
      ext: plan.ext,
    });
  });
}

export const videoKind: TaskKindDefinition = {
  kind: 'video',
  accepts: ['video'],
  options: VideoTaskOptions,
  formats: [...VIDEO_FORMATS, 'hls'],
  description:
    'Transcodes a video: size (px or %, fill/cover/contain), frame rate, format and codec, quality or bitrate, encoder speed, trim, audio removal. Default: the same size and rate as H.264/AAC MP4 with fast start.',
  run,
};
