// description: a title, a paragraph and tags for an image, a video (a few frames and the transcript) or
// an audio file (the transcript), from an OpenAI-compatible vision model (spec §6.4 description).
import { Type } from '@sinclair/typebox';
import type { AiProviders, Transcript } from '../ai/types.js';
import { AppError } from '../lib/errors.js';
import {
  jsonOutput,
  need,
  newBudget,
  parseModelJson,
  requires,
  transcriptOf,
  transcriptText,
  visualsOf,
} from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask } from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';
import { LanguageOption } from './speech.runner.js';

export const DescriptionTaskOptions = Type.Object(
  { language: LanguageOption, ...outputProps },
  { additionalProperties: false },
);

/** The transcript when there is audio and a speech engine; none otherwise (the picture may be enough). */
export async function optionalTranscript(
  ctx: RunnerContext,
  ai: AiProviders,
  probe: Parameters<typeof transcriptOf>[2],
  budget: Parameters<typeof transcriptOf>[3]['budget'],
): Promise<Transcript> {
  if (!probe.hasAudio) return { language: null, segments: [] };
  // audio alone has nothing to show the model: its speech is required
  if (!probe.hasVideo) need(ai, 'speech');
  if (!ai.speech) return { language: null, segments: [] };
  return transcriptOf(ctx, ai, probe, { budget, to: 60 });
}

export function descriptionKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'description',
    accepts: ['image', 'video', 'audio'],
    options: DescriptionTaskOptions,
    formats: ['json'],
    description: 'A title, description and tags from the picture and the speech (JSON; needs an LLM)',
    availability: requires(ai, ['chat']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const o = checkOptions<{ language?: string }>(DescriptionTaskOptions, ctx.task.options);
        const chat = need(ai, 'chat');
        const budget = newBudget(ai);
        const { probe } = await probeInput(ctx, 'description', ['image', 'video', 'audio']);
        const transcript = await optionalTranscript(ctx, ai, probe, budget);
        const images = await visualsOf(ctx, probe);
        const language = o.language ?? transcript.language ?? 'en';
        const spoken = transcript.segments.length
          ? `\n\nWhat is said in it:\n${transcriptText(transcript, 12_000)}`
          : '';
        const answer = await chat.complete(
          {
            system: 'You describe media files for a media library. Answer with JSON only.',
            prompt: `Describe this ${probe.kind}${images.length > 1 ? ' (the images are frames from it, in order)' : ''} in the language "${language}".${spoken}\n\nAnswer as {"title": "at most 8 words", "description": "2 to 4 sentences", "tags": ["5 to 10 lowercase tags"]}.`,
            images,
            maxTokens: 600,
          },
          { signal: ctx.signal, budget },
        );
        const j = parseModelJson(answer);
        if (typeof j.title !== 'string' || typeof j.description !== 'string') {
          throw new AppError(
            'provider_invalid_response',
            'The model answered without a title and a description.',
          );
        }
        const tags = Array.isArray(j.tags)
          ? j.tags.filter((t): t is string => typeof t === 'string').map((t) => t.trim())
          : [];
        const out = await jsonOutput(ctx, 'description', {
          kind: 'description',
          title: j.title.trim(),
          description: j.description.trim(),
          tags,
          language,
          // the model gives no calibrated confidence; null says so rather than inventing one
          confidence: null,
        });
        ctx.progress(100);
        return { outputs: [{ ...out, language }] };
      }),
  };
}
