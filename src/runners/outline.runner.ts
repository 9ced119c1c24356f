// outline: the sections of a talk or video with titles and times, from its transcript through the LLM
// (spec §6.4 outline). Needs a speech engine and an OpenAI-compatible chat model.
import { Type } from '@sinclair/typebox';
import type { AiProviders } from '../ai/types.js';
import { AppError } from '../lib/errors.js';
import {
  jsonOutput,
  need,
  newBudget,
  parseModelJson,
  requires,
  round,
  transcriptOf,
  transcriptText,
} from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask } from './media-task.js';
import { PermanentTaskError, type RunnerContext, type RunResult, type TaskKindDefinition } from './runner.js';
import { LanguageOption } from './speech.runner.js';

export const OutlineTaskOptions = Type.Object(
  { language: LanguageOption, ...outputProps },
  { additionalProperties: false },
);

export function outlineKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'outline',
    accepts: ['video', 'audio'],
    options: OutlineTaskOptions,
    formats: ['json'],
    description:
      'An outline of the spoken content: titled sections with start and end times (JSON; needs an LLM)',
    availability: requires(ai, ['speech', 'chat']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const o = checkOptions<{ language?: string }>(OutlineTaskOptions, ctx.task.options);
        const chat = need(ai, 'chat');
        const budget = newBudget(ai);
        const { probe } = await probeInput(ctx, 'outline', ['video', 'audio']);
        const transcript = await transcriptOf(ctx, ai, probe, { budget, language: o.language, to: 80 });
        if (!transcript.segments.length) {
          throw new PermanentTaskError('No speech was found in the input, so there is nothing to outline.');
        }
        const duration = probe.duration ?? transcript.segments.at(-1)!.end;
        const answer = await chat.complete(
          {
            system: 'You outline transcripts of videos and talks. Answer with JSON only.',
            prompt: `Split this transcript into its main sections (usually 3 to 10). Times are seconds.\n\n${transcriptText(transcript)}\n\nAnswer as {"timeline": [{"title": "…", "start": 0, "end": 42.5}, …]} in order, covering 0 to ${duration.toFixed(1)}.`,
            maxTokens: 1500,
          },
          { signal: ctx.signal, budget },
        );
        const raw = parseModelJson(answer).timeline;
        const timeline = Array.isArray(raw)
          ? raw
              .map((e) => e as { title?: unknown; start?: unknown; end?: unknown })
              .filter((e) => typeof e.title === 'string' && Number.isFinite(Number(e.start)))
              .map((e) => ({
                title: String(e.title).trim(),
                start: round(Math.min(duration, Math.max(0, Number(e.start)))),
                end: round(Math.min(duration, Math.max(0, Number(e.end ?? duration)))),
              }))
              .sort((a, b) => a.start - b.start)
          : [];
        if (!timeline.length) {
          throw new AppError('provider_invalid_response', 'The model answered without any outline sections.');
        }
        for (const [i, e] of timeline.entries())
          if (e.end <= e.start) e.end = timeline[i + 1]?.start ?? duration;
        const out = await jsonOutput(ctx, 'outline', {
          kind: 'outline',
          language: transcript.language,
          timeline,
        });
        ctx.progress(100);
        return { outputs: [{ ...out, language: transcript.language }] };
      }),
  };
}
