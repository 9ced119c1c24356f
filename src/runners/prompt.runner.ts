// prompt: the operator's question about a file, answered by the LLM with the file attached (an image, a
// video's frames and transcript, an audio file's transcript) (spec §6.4 prompt: {prompt, response}).
import { Type } from '@sinclair/typebox';
import type { AiProviders } from '../ai/types.js';
import { optionalTranscript } from './description.runner.js';
import { jsonOutput, need, newBudget, requires, transcriptText, visualsOf } from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask } from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

export const PromptTaskOptions = Type.Object(
  {
    prompt: Type.String({
      minLength: 1,
      maxLength: 8000,
      description: 'the question or instruction about the file',
    }),
    ...outputProps,
  },
  { additionalProperties: false },
);

export function promptKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'prompt',
    accepts: ['image', 'video', 'audio'],
    options: PromptTaskOptions,
    formats: ['json'],
    description:
      'Your prompt about the file, answered by the LLM with the file attached (JSON; needs an LLM)',
    availability: requires(ai, ['chat']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const o = checkOptions<{ prompt: string }>(PromptTaskOptions, ctx.task.options);
        const chat = need(ai, 'chat');
        const budget = newBudget(ai);
        const { probe } = await probeInput(ctx, 'prompt', ['image', 'video', 'audio']);
        const transcript = await optionalTranscript(ctx, ai, probe, budget);
        const images = await visualsOf(ctx, probe);
        const spoken = transcript.segments.length
          ? `\n\nTranscript of the file:\n${transcriptText(transcript)}`
          : '';
        const response = await chat.complete(
          {
            system: `You answer questions about a ${probe.kind} file${images.length ? '; the images are from it' : ''}.`,
            prompt: `${o.prompt}${spoken}`,
            images,
          },
          { signal: ctx.signal, budget },
        );
        const out = await jsonOutput(ctx, 'prompt', { kind: 'prompt', prompt: o.prompt, response });
        ctx.progress(100);
        return { outputs: [out] };
      }),
  };
}
