// adaptive_video: an HLS package (spec appendix A: "adaptive_video (HLS/DASH)") — a master playlist, one
// media playlist per rendition, H.264 in fMP4 (or MPEG-TS) segments and one shared AAC audio rendition,
// encoded from one decode by one ffmpeg process. The ladder is computed from the source (media/hls-ladder.ts)
// or given as `renditions`. The output is one File whose bytes are the master playlist and whose parts (the
// rest of the package) are stored beside it.
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { runFfmpeg } from '../media/ffmpeg.js';
import { finishHlsPackage, HLS_MIME } from '../media/hls.js';
import { computeLadder, DEFAULT_LADDER, type LadderConfig, planHls } from '../media/hls-ladder.js';
import type { ProbeResult } from '../media/probe.js';
import {
  crfFor,
  DEFAULT_VIDEO_SPEED,
  encoderThreads,
  SPEED_SETTINGS,
  VIDEO_SPEEDS,
  type VideoSpeed,
} from '../media/video-args.js';
import {
  checkOptions,
  checkOutputPixels,
  ffmpegWatch,
  outputNaming,
  outputProps,
  probeInput,
  runMediaTask,
  StringEnum,
} from './media-task.js';
import { PermanentTaskError, type RunnerContext, type RunResult, type TaskKindDefinition } from './runner.js';

export const SEGMENT_FORMATS = ['fmp4', 'ts'] as const;

export const AdaptiveVideoOptions = Type.Object(
  {
    format: Type.Optional(StringEnum(['hls'] as const, { default: 'hls', description: 'package format' })),
    renditions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            height: Type.Integer({
              minimum: 64,
              maximum: 4320,
              description: 'the short side in pixels (a portrait video’s width); never above the source’s',
            }),
            bitrate: Type.Optional(
              Type.Integer({
                minimum: 100_000,
                maximum: 60_000_000,
                description: 'video bitrate cap, bits per second; default from the ladder',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        {
          minItems: 1,
          maxItems: 8,
          description:
            'explicit ladder, e.g. [{"height":720},{"height":360,"bitrate":800000}]; default: 1080/720/480/360/240 (up to 2160) up to the source size',
        },
      ),
    ),
    segment_duration: Type.Optional(
      Type.Number({ minimum: 1, maximum: 10, default: 4, description: 'seconds per segment' }),
    ),
    segment_format: Type.Optional(
      StringEnum(SEGMENT_FORMATS, {
        default: 'fmp4',
        description: 'fmp4 (CMAF, HLS version 7) or ts (MPEG-TS, for very old players)',
      }),
    ),
    no_audio: Type.Optional(Type.Boolean({ default: false, description: 'drop the audio track' })),
    thumbnails: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'add an I-frame playlist per rendition (EXT-X-I-FRAME-STREAM-INF) for scrubbing previews; fmp4 segments only',
      }),
    ),
    speed: Type.Optional(
      StringEnum(VIDEO_SPEEDS, {
        default: DEFAULT_VIDEO_SPEED,
        description: 'encoder effort, as for the video kind: fastest, fast, balanced or best',
      }),
    ),
    ...outputProps,
  },
  { additionalProperties: false },
);

export type AdaptiveVideoOptions = Static<typeof AdaptiveVideoOptions>;

/**
 * The H.264 preset, CRF and threads the video kind's speed policy (media/video-args.ts) gives this speed,
 * so an HLS ladder is encoded at the same speed/quality trade-off as a progressive video.
 */
export function speedPolicyH264(
  speed: VideoSpeed | undefined,
  slots: number,
): { preset: string; crf: number; threads: number } {
  return {
    preset: SPEED_SETTINGS.x264[speed ?? DEFAULT_VIDEO_SPEED],
    crf: crfFor('h264', undefined),
    threads: encoderThreads(availableParallelism(), slots),
  };
}

/** The ladder and the ffmpeg plan for a probed source; pure (the runner and the benchmark share it). */
export function planAdaptive(
  probe: ProbeResult,
  options: AdaptiveVideoOptions,
  inPath: string,
  outDir: string,
  encoder: { preset: string; crf: number; threads?: number },
  config: LadderConfig = DEFAULT_LADDER,
) {
  const ladder = computeLadder(probe, config, options.renditions);
  return planHls(inPath, outDir, {
    ladder,
    segmentSeconds: options.segment_duration ?? 4,
    segmentFormat: options.segment_format ?? 'fmp4',
    withAudio: probe.hasAudio && !options.no_audio,
    audioBitrate: config.audioBitrate,
    preset: encoder.preset,
    crf: encoder.crf,
    threads: encoder.threads,
    duration: probe.duration,
  });
}

async function run(ctx: RunnerContext): Promise<RunResult> {
  return runMediaTask(async () => {
    const options = checkOptions<AdaptiveVideoOptions>(AdaptiveVideoOptions, ctx.task.options);
    const { path, probe } = await probeInput(ctx, 'adaptive_video', ['video']);
    const outDir = join(ctx.workDir, 'hls');
    await mkdir(outDir, { recursive: true });
    const encoder = speedPolicyH264(options.speed, ctx.slots ?? 1);
    const plan = planAdaptive(probe, options, path, outDir, encoder);
    const top = plan.variants[0].rendition;
    checkOutputPixels(top.width, top.height, ctx);
    if (options.thumbnails && plan.segmentFormat !== 'fmp4') {
      throw new PermanentTaskError('thumbnails (I-frame playlists) need segment_format fmp4.');
    }

    await runFfmpeg(plan.args, { ...ffmpegWatch(ctx), durationSeconds: probe.duration });
    const pkg = await finishHlsPackage(outDir, plan, { iframes: options.thumbnails });
    return {
      outputs: [
        {
          localPath: pkg.masterPath,
          object: 'source',
          kind: 'video',
          type: HLS_MIME,
          facts: {
            container: 'hls',
            codec: 'h264',
            audioCodec: plan.audioPlaylist ? 'aac' : undefined,
            width: pkg.width,
            height: pkg.height,
            duration: pkg.duration,
            fps: plan.fps,
            rotation: 0,
            transparency: false,
            animated: false,
          },
          ext: 'm3u8',
          parts: pkg.parts,
          ...outputNaming(options),
          primary: true,
        },
      ],
    };
  });
}

/** Video options an HLS ladder cannot honour (it is made at the source's size, rate and length). */
const NOT_FOR_HLS = ['width', 'fit', 'position', 'background', 'fps', 'quality', 'start', 'end'];

/**
 * `{kind: "video", format: "hls"}` as adaptive_video options: `height` (px) and `bitrate` make a one-rung
 * ladder, no_audio/speed/ref/folder/filename carry over; anything else is refused rather than ignored.
 */
export function hlsFromVideoOptions(options: Record<string, unknown>): Record<string, unknown> {
  const given = (k: string) => options[k] !== undefined && options[k] !== null;
  const refused = NOT_FOR_HLS.filter(given);
  if (refused.length > 0) {
    throw new PermanentTaskError(
      `format hls makes an adaptive ladder at the source's size and rate; it cannot take ${refused.join(', ')}. Use height (and bitrate) for one rendition, or the adaptive_video kind with renditions.`,
    );
  }
  if (given('codec') && options.codec !== 'h264') {
    throw new PermanentTaskError('format hls is encoded as H.264; codec must be h264 or left out.');
  }
  if (given('height') && typeof options.height !== 'number') {
    throw new PermanentTaskError('format hls takes height in pixels, not a percentage.');
  }
  if (given('bitrate') && !given('height')) {
    throw new PermanentTaskError('format hls takes bitrate together with height (one rendition).');
  }
  const out: Record<string, unknown> = {};
  for (const k of ['no_audio', 'speed', 'ref', 'folder', 'filename']) if (given(k)) out[k] = options[k];
  if (given('height')) {
    out.renditions = [{ height: options.height, ...(given('bitrate') ? { bitrate: options.bitrate } : {}) }];
  }
  return out;
}

/** The video kind's `format: "hls"`: the same package as adaptive_video. */
export function runHlsFromVideo(ctx: RunnerContext): Promise<RunResult> {
  return runMediaTask(async () => {
    const options = hlsFromVideoOptions(ctx.task.options);
    return run({ ...ctx, task: { ...ctx.task, options } });
  });
}

export const adaptiveVideoKind: TaskKindDefinition = {
  kind: 'adaptive_video',
  accepts: ['video'],
  options: AdaptiveVideoOptions,
  formats: ['hls'],
  description:
    'Makes an HLS package for adaptive streaming: a ladder of H.264 renditions (1080p…240p, never upscaled) with one shared AAC audio rendition, in fMP4 (or TS) segments of about 4 s with aligned keyframes, from one ffmpeg process. The output File is the master playlist.',
  run,
};
