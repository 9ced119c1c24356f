// speech: the words spoken in an audio or video input, with times (spec §6.4 speech), from the configured
// speech-to-text engine (pocketsphinx locally, whisper.cpp, or an OpenAI-compatible transcription model).
import { Type } from '@sinclair/typebox';
import type { AiProviders } from '../ai/types.js';
import { jsonOutput, newBudget, requires, speechResult, transcriptOf } from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask } from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

export const LanguageOption = Type.Optional(
  Type.String({ pattern: '^[a-z]{2}$', description: 'ISO 639-1 language of the speech; default: detected' }),
);

export const SpeechTaskOptions = Type.Object(
  {
    language: LanguageOption,
    speakers: Type.Optional(
      Type.Boolean({ description: 'label speakers (accepted; no local engine separates speakers yet)' }),
    ),
    ...outputProps,
  },
  { additionalProperties: false },
);

export function speechKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'speech',
    accepts: ['audio', 'video'],
    options: SpeechTaskOptions,
    formats: ['json'],
    description: 'Speech to text: the words spoken, with start and end times (JSON)',
    availability: requires(ai, ['speech']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const options = checkOptions<{ language?: string }>(SpeechTaskOptions, ctx.task.options);
        const { probe } = await probeInput(ctx, 'speech', ['audio', 'video']);
        const transcript = await transcriptOf(ctx, ai, probe, {
          budget: newBudget(ai),
          language: options.language,
        });
        const body = speechResult(transcript);
        const out = await jsonOutput(ctx, 'speech', body);
        ctx.progress(100);
        return { outputs: [{ ...out, language: body.language }] };
      }),
  };
}
