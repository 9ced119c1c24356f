// nsfw: nudity and sexual content scores 0–1 for an image, or for frames sampled through a video with a
// per-segment timeline (spec §6.4 nsfw), from nsfwjs (local, bundled model, worker thread).
import { Type } from '@sinclair/typebox';
import type { AiProviders, NsfwScores } from '../ai/types.js';
import { imagePixels, sampleFrames } from '../media/analysis.js';
import { jsonOutput, need, requires, round } from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask } from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

export const NsfwTaskOptions = Type.Object(
  {
    threshold: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.6,
        description: 'a score at or above this is detected',
      }),
    ),
    interval: Type.Optional(
      Type.Number({
        minimum: 0.5,
        maximum: 600,
        default: 2,
        description: 'video: seconds between sampled frames',
      }),
    ),
    max_frames: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 500, default: 120, description: 'video: most frames checked' }),
    ),
    ...outputProps,
  },
  { additionalProperties: false },
);

interface NsfwOptions {
  threshold?: number;
  interval?: number;
  max_frames?: number;
}

/** nsfwjs's classes → the API's categories: nudity (porn, sexy), sexual (porn, hentai). */
export function categoryScores(s: NsfwScores): { nudity: number; sexual: number } {
  return { nudity: round(Math.min(1, s.porn + s.sexy)), sexual: round(Math.min(1, s.porn + s.hentai)) };
}

function verdict(scores: { nudity: number; sexual: number }, threshold: number) {
  const categories = (['nudity', 'sexual'] as const).filter((c) => scores[c] >= threshold);
  const top = Math.max(scores.nudity, scores.sexual);
  return {
    detected: categories.length > 0,
    categories,
    confidence: round(categories.length ? top : 1 - top),
  };
}

export function nsfwKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'nsfw',
    accepts: ['image', 'video'],
    options: NsfwTaskOptions,
    formats: ['json'],
    description: 'Nudity and sexual content scores (0–1) for an image or sampled video frames (JSON)',
    availability: requires(ai, ['nsfw']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const o = checkOptions<NsfwOptions>(NsfwTaskOptions, ctx.task.options);
        const threshold = o.threshold ?? 0.6;
        const model = need(ai, 'nsfw');
        const { path, probe } = await probeInput(ctx, 'nsfw', ['image', 'video']);
        const size = model.inputSize;
        const classify = async (file: string) =>
          model.classify(await imagePixels(file, size, ctx.limits.maxPixels), ctx.signal);

        if (probe.kind === 'image') {
          const raw = await classify(path);
          const scores = categoryScores(raw);
          const out = await jsonOutput(ctx, 'nsfw', {
            kind: 'nsfw',
            ...verdict(scores, threshold),
            ...scores,
            classes: roundAll(raw),
          });
          ctx.progress(100);
          return { outputs: [out] };
        }

        const duration = probe.duration ?? 0;
        const maxFrames = o.max_frames ?? 120;
        // a long video spreads its frames out rather than checking only its beginning
        const every = Math.max(o.interval ?? 2, duration / maxFrames);
        const frames = await sampleFrames(path, ctx.workDir, {
          every,
          maxFrames,
          size: 448,
          signal: ctx.signal,
          stallTimeoutMs: ctx.limits.ffmpegStallMs,
          durationSeconds: duration,
          onProgress: (p) => ctx.progress(Math.round(p.percent * 0.3)),
        });
        const timeline = [];
        const worst = { nudity: 0, sexual: 0 };
        for (const [i, f] of frames.entries()) {
          const scores = categoryScores(await classify(f.path));
          worst.nudity = Math.max(worst.nudity, scores.nudity);
          worst.sexual = Math.max(worst.sexual, scores.sexual);
          const v = verdict(scores, threshold);
          timeline.push({
            start: f.time,
            end: round(Math.min(duration || f.time + every, f.time + every)),
            detected: v.detected,
            categories: v.categories,
            ...scores,
          });
          ctx.progress(30 + Math.round((70 * (i + 1)) / frames.length));
        }
        const out = await jsonOutput(ctx, 'nsfw', {
          kind: 'nsfw',
          ...verdict(worst, threshold),
          ...worst,
          frames: frames.length,
          timeline,
        });
        return { outputs: [out] };
      }),
  };
}

function roundAll(s: NsfwScores): NsfwScores {
  return {
    drawing: round(s.drawing),
    hentai: round(s.hentai),
    neutral: round(s.neutral),
    porn: round(s.porn),
    sexy: round(s.sexy),
  };
}
