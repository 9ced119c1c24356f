// subtitles: WebVTT (default) or SRT cues from the input's speech (spec §6.4 subtitles). A finished
// `speech` result of the same media is reused; otherwise the speech engine runs first.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { AiProviders } from '../ai/types.js';
import { buildCues, renderSrt, renderVtt } from './captions.js';
import { newBudget, requires, transcriptOf } from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask, StringEnum } from './media-task.js';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';
import { LanguageOption } from './speech.runner.js';

export const SubtitlesTaskOptions = Type.Object(
  {
    format: Type.Optional(
      StringEnum(['vtt', 'srt'] as const, { default: 'vtt', description: 'WebVTT or SubRip' }),
    ),
    language: LanguageOption,
    ...outputProps,
  },
  { additionalProperties: false },
);

export function subtitlesKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'subtitles',
    accepts: ['audio', 'video'],
    options: SubtitlesTaskOptions,
    formats: ['vtt', 'srt'],
    description: 'Subtitles from the speech: WebVTT or SRT cues of at most 2 lines × 42 characters and 7 s',
    availability: requires(ai, ['speech']),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const options = checkOptions<{ format?: 'vtt' | 'srt'; language?: string }>(
          SubtitlesTaskOptions,
          ctx.task.options,
        );
        const format = options.format ?? 'vtt';
        const { probe } = await probeInput(ctx, 'subtitles', ['audio', 'video']);
        const transcript = await transcriptOf(ctx, ai, probe, {
          budget: newBudget(ai),
          language: options.language,
        });
        const language = options.language ?? transcript.language;
        const cues = buildCues(transcript.segments);
        const localPath = join(ctx.workDir, `subtitles.${format}`);
        await writeFile(localPath, format === 'vtt' ? renderVtt(cues, { language }) : renderSrt(cues));
        ctx.progress(100);
        return {
          outputs: [
            {
              localPath,
              object: 'track',
              kind: 'subtitles',
              type: format === 'vtt' ? 'text/vtt' : 'text/srt',
              ext: format,
              language,
              primary: true,
            },
          ],
        };
      }),
  };
}
