// nsfw: nudity, sexual content (and, with a vision model, violence and gore) scores 0–1 for an image, or for
// frames sampled through a video with a per-segment timeline (spec §6.4 nsfw), from nsfwjs (local, bundled
// model, worker thread) or an OpenAI-compatible vision model (MEDIARY_AI_NSFW_PROVIDER=openai).
import { Type } from '@sinclair/typebox';
import type { AiProviders, NsfwCategoryScores } from '../ai/types.js';
import { sampleFrames } from '../media/analysis.js';
import { jsonOutput, need, newBudget, requires, round } from './intelligence.js';
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

const CATEGORIES = ['nudity', 'sexual', 'violence', 'gore'] as const;
type Category = (typeof CATEGORIES)[number];
/** the four categories; null where the engine has no model for it (nsfwjs: violence, gore) */
type Scores = Record<Category, number | null>;

const pick = (s: NsfwCategoryScores): Scores => ({
  nudity: s.nudity,
  sexual: s.sexual,
  violence: s.violence,
  gore: s.gore,
});

export function verdict(scores: Scores, threshold: number) {
  const measured = CATEGORIES.filter((c) => scores[c] !== null);
  const categories = measured.filter((c) => (scores[c] as number) >= threshold);
  const top = Math.max(0, ...measured.map((c) => scores[c] as number));
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
    description:
      'Nudity and sexual content (and violence and gore with a vision model) scores (0–1) for an image or sampled video frames (JSON)',
    availability: requires(ai, ['nsfw']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const o = checkOptions<NsfwOptions>(NsfwTaskOptions, ctx.task.options);
        const threshold = o.threshold ?? 0.6;
        const model = need(ai, 'nsfw');
        const { path, probe } = await probeInput(ctx, 'nsfw', ['image', 'video']);
        const call = { signal: ctx.signal, budget: newBudget(ai), maxPixels: ctx.limits.maxPixels };
        const score = (file: string) => model.score(file, call);

        if (probe.kind === 'image') {
          const { classes, ...rest } = await score(path);
          const scores = pick(rest);
          const out = await jsonOutput(ctx, 'nsfw', {
            kind: 'nsfw',
            ...verdict(scores, threshold),
            ...scores,
            ...(classes ? { classes } : {}),
          });
          ctx.progress(100);
          return { outputs: [out] };
        }

        const duration = probe.duration ?? 0;
        // a remote engine makes one request per frame: no more frames than the task's request cap
        const maxFrames = Math.min(o.max_frames ?? 120, model.remote ? ai.maxRequestsPerTask : Infinity);
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
        const worst: Scores = { nudity: 0, sexual: 0, violence: null, gore: null };
        for (const [i, f] of frames.entries()) {
          const scores = pick(await score(f.path));
          for (const c of CATEGORIES) {
            const v = scores[c];
            if (v !== null) worst[c] = Math.max(worst[c] ?? 0, v);
          }
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
