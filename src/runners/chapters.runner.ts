// chapters: cues that start at scene changes (ffmpeg scdet) merged with pauses in the speech, no chapter
// shorter than `min_length`; titled by the LLM when one is configured, else by the first words spoken in
// the chapter, else "Chapter N" (spec §6.4 chapters). WebVTT by default, JSON with `format: "json"`.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { AiProviders, Transcript } from '../ai/types.js';
import { detectScenes } from '../media/analysis.js';
import { renderVtt } from './captions.js';
import { newBudget, parseModelJson, round, transcriptOf } from './intelligence.js';
import { checkOptions, outputProps, probeInput, runMediaTask, StringEnum } from './media-task.js';
import { PermanentTaskError, type RunnerContext, type RunResult, type TaskKindDefinition } from './runner.js';

export const ChaptersTaskOptions = Type.Object(
  {
    format: Type.Optional(
      StringEnum(['vtt', 'json'] as const, { default: 'vtt', description: 'WebVTT cues or JSON' }),
    ),
    min_length: Type.Optional(
      Type.Number({ minimum: 1, maximum: 3600, default: 30, description: 'shortest chapter, seconds' }),
    ),
    scene_threshold: Type.Optional(
      Type.Number({
        minimum: 1,
        maximum: 100,
        default: 10,
        description: 'how different two frames must be to start a scene (scdet, 0–100)',
      }),
    ),
    speech: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'also cut at pauses in the speech (when a speech engine is configured)',
      }),
    ),
    ...outputProps,
  },
  { additionalProperties: false },
);

interface ChaptersOptions {
  format?: 'vtt' | 'json';
  min_length?: number;
  scene_threshold?: number;
  speech?: boolean;
}

export interface Chapter {
  index: number;
  start: number;
  end: number;
  title: string;
}

/** Pauses of at least `gap` seconds between speech segments: a chapter may start where speech resumes. */
export function speechPauses(t: Transcript, gap = 2): number[] {
  const segs = [...t.segments].sort((a, b) => a.start - b.start);
  const out: number[] = [];
  for (let i = 1; i < segs.length; i++) if (segs[i].start - segs[i - 1].end >= gap) out.push(segs[i].start);
  return out;
}

/** Chapter starts: 0, then scene changes and pauses (a scene change wins over a pause within 1 s). */
export function chapterStarts(
  duration: number,
  scenes: number[],
  pauses: number[],
  minLength: number,
): number[] {
  const near = (t: number) => scenes.some((s) => Math.abs(s - t) < 1);
  const candidates = [...scenes, ...pauses.filter((p) => !near(p))]
    .filter((t) => t > 0 && (!duration || t < duration))
    .sort((a, b) => a - b);
  const starts = [0];
  for (const t of candidates) {
    if (t - starts[starts.length - 1] < minLength) continue;
    if (duration && duration - t < minLength) continue;
    starts.push(t);
  }
  return starts;
}

function firstWords(t: Transcript, start: number, end: number, n = 6): string | null {
  const seg = t.segments.find((s) => s.start >= start - 0.25 && s.start < end);
  if (!seg) return null;
  const words = seg.text.split(/\s+/).filter(Boolean);
  const head = words.slice(0, n).join(' ');
  return head ? (words.length > n ? `${head}…` : head) : null;
}

async function llmTitles(
  ai: AiProviders,
  ctx: RunnerContext,
  chapters: Chapter[],
  t: Transcript,
): Promise<(string | null)[]> {
  if (!ai.chat) return chapters.map(() => null);
  const parts = chapters.map((c) => {
    const words = t.segments
      .filter((s) => s.start >= c.start - 0.25 && s.start < c.end)
      .map((s) => s.text)
      .join(' ')
      .slice(0, 2000);
    return `Chapter ${c.index + 1} (${c.start.toFixed(1)}s–${c.end.toFixed(1)}s): ${words || '(no speech)'}`;
  });
  const answer = await ai.chat.complete(
    {
      system: 'You title chapters of videos. Answer with JSON only.',
      prompt: `Give each chapter a short title (at most 6 words) from what is said in it.\n${parts.join('\n')}\n\nAnswer as {"titles": ["…", …]} with exactly ${chapters.length} titles in order.`,
      maxTokens: 40 * chapters.length + 50,
    },
    { signal: ctx.signal, budget: newBudget(ai) },
  );
  const titles = parseModelJson(answer).titles;
  if (!Array.isArray(titles)) return chapters.map(() => null);
  return chapters.map((_, i) =>
    typeof titles[i] === 'string' && titles[i].trim() ? titles[i].trim() : null,
  );
}

export function chaptersKind(ai: AiProviders): TaskKindDefinition {
  return {
    kind: 'chapters',
    accepts: ['video', 'audio'],
    options: ChaptersTaskOptions,
    formats: ['vtt', 'json'],
    description: 'Chapters at scene changes and pauses in speech, titled by the LLM when one is configured',
    availability: () => ({
      available: true,
      provider: ['ffmpeg scdet', ai.speech?.name, ai.chat?.name].filter(Boolean).join(' + '),
    }),
    run: (ctx: RunnerContext): Promise<RunResult> =>
      runMediaTask(async () => {
        const o = checkOptions<ChaptersOptions>(ChaptersTaskOptions, ctx.task.options);
        const format = o.format ?? 'vtt';
        const minLength = o.min_length ?? 30;
        const { path, probe } = await probeInput(ctx, 'chapters', ['video', 'audio']);
        const duration = probe.duration ?? 0;
        if (!duration)
          throw new PermanentTaskError('The input has no duration, so it cannot be cut into chapters.');
        const scenes = probe.hasVideo
          ? await detectScenes(path, {
              metaPath: join(ctx.workDir, 'scenes.txt'),
              threshold: o.scene_threshold ?? 10,
              signal: ctx.signal,
              stallTimeoutMs: ctx.limits.ffmpegStallMs,
              durationSeconds: duration,
              onProgress: (p) => ctx.progress(Math.round(p.percent * 0.4)),
            })
          : [];
        const useSpeech = (o.speech ?? true) && probe.hasAudio && Boolean(ai.speech);
        const transcript: Transcript = useSpeech
          ? await transcriptOf(ctx, ai, probe, { budget: newBudget(ai), from: 40, to: 90 })
          : { language: null, segments: [] };
        const starts = chapterStarts(duration, scenes, speechPauses(transcript), minLength);
        const chapters: Chapter[] = starts.map((start, index) => ({
          index,
          start: round(start),
          end: round(starts[index + 1] ?? duration),
          title: '',
        }));
        const titles = await llmTitles(ai, ctx, chapters, transcript);
        for (const c of chapters) {
          c.title = titles[c.index] ?? firstWords(transcript, c.start, c.end) ?? `Chapter ${c.index + 1}`;
        }
        const localPath = join(ctx.workDir, `chapters.${format}`);
        await writeFile(
          localPath,
          format === 'vtt'
            ? renderVtt(chapters.map((c) => ({ start: c.start, end: c.end, text: c.title })))
            : `${JSON.stringify({ kind: 'chapters', format: 'json', chapters }, null, 2)}\n`,
        );
        ctx.progress(100);
        return {
          outputs: [
            {
              localPath,
              object: 'track',
              kind: 'chapters',
              type: format === 'vtt' ? 'text/vtt' : 'application/json',
              ext: format,
              language: transcript.language,
              primary: true,
            },
          ],
        };
      }),
  };
}
