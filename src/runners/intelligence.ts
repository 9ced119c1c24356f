// What the intelligence kinds (speech, subtitles, chapters, outline, nsfw, description, prompt) share:
// availability from the process's providers, the transcript of an input (a finished speech result of the
// same media reused when there is one), JSON outputs, and reading a model's JSON answer.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AiProviders,
  type Capability,
  type ChatImage,
  RequestBudget,
  type Transcript,
} from '../ai/types.js';
import { AppError } from '../lib/errors.js';
import { imageJpeg, sampleFrames } from '../media/analysis.js';
import type { ProbeResult } from '../media/probe.js';
import { type KindAvailability, type OutputSpec, PermanentTaskError, type RunnerContext } from './runner.js';

/** A kind's availability hook: available when every capability it needs has an engine. */
export function requires(ai: AiProviders, caps: Capability[]): () => KindAvailability {
  return () => {
    const names: string[] = [];
    for (const cap of caps) {
      const engine = ai[cap];
      if (!engine) return { available: false, provider: null, reason: ai.missing[cap] };
      names.push(engine.name);
    }
    return { available: true, provider: names.join(' + ') };
  };
}

/** The engine for a capability, or a failure that names the setting to configure. */
export function need<C extends Capability>(ai: AiProviders, cap: C): NonNullable<AiProviders[C]> {
  const engine = ai[cap];
  if (!engine) {
    throw new AppError('provider_not_configured', `This task needs a ${cap} provider: ${ai.missing[cap]}.`);
  }
  return engine as NonNullable<AiProviders[C]>;
}

export const newBudget = (ai: AiProviders) => new RequestBudget(ai.maxRequestsPerTask);

export interface SpeechTimelineEntry {
  index: number;
  start: number;
  end: number;
  detected: boolean;
  text: string;
  confidence: number | null;
  speaker?: string | null;
}

/** The `speech` output (spec §6.4): every line, its times, the language. */
export interface SpeechResult {
  kind: 'speech';
  detected: boolean;
  language: string | null;
  text: string[];
  confidence: number | null;
  timeline: SpeechTimelineEntry[];
}

export function speechResult(t: Transcript): SpeechResult {
  const segments = [...t.segments].sort((a, b) => a.start - b.start);
  const scored = segments.map((s) => s.confidence).filter((c): c is number => c !== null);
  return {
    kind: 'speech',
    detected: segments.length > 0,
    language: segments.length ? t.language : null,
    text: segments.map((s) => s.text),
    confidence: scored.length ? round(scored.reduce((a, b) => a + b, 0) / scored.length) : null,
    timeline: segments.map((s, index) => ({
      index,
      start: round(s.start),
      end: round(s.end),
      detected: true,
      text: s.text,
      confidence: s.confidence === null ? null : round(s.confidence),
      ...(s.speaker ? { speaker: s.speaker } : {}),
    })),
  };
}

function transcriptFromSpeechResult(body: unknown): Transcript | null {
  const b = body as Partial<SpeechResult> | null;
  if (b?.kind !== 'speech' || !Array.isArray(b.timeline)) return null;
  return {
    language: typeof b.language === 'string' ? b.language : null,
    segments: b.timeline
      .filter((e) => typeof e?.text === 'string' && Number.isFinite(e.start) && Number.isFinite(e.end))
      .map((e) => ({ start: e.start, end: e.end, text: e.text, confidence: e.confidence ?? null })),
  };
}

/**
 * The input's speech: a finished `speech` output of the same media when the engine offers one (no second
 * recognition), else the speech provider. Progress of the recognition maps onto [from, to] percent.
 */
export async function transcriptOf(
  ctx: RunnerContext,
  ai: AiProviders,
  probe: ProbeResult,
  opts: { budget: RequestBudget; language?: string; from?: number; to?: number },
): Promise<Transcript> {
  if (!probe.hasAudio) return { language: null, segments: [] };
  const earlier = await ctx.earlierOutput?.('speech');
  if (earlier) {
    try {
      const t = transcriptFromSpeechResult(JSON.parse(await readFile(earlier.localPath, 'utf8')));
      if (t) return t;
    } catch {
      // an unreadable earlier result is no reason to fail: recognise again
    } finally {
      await earlier.cleanup().catch(() => {});
    }
  }
  const speech = need(ai, 'speech');
  const from = opts.from ?? 0;
  const to = opts.to ?? 95;
  return speech.transcribe(
    { path: ctx.input!.localPath, duration: probe.duration ?? 0, language: opts.language },
    {
      signal: ctx.signal,
      budget: opts.budget,
      workDir: ctx.workDir,
      stallMs: ctx.limits.ffmpegStallMs,
      progress: (f) => ctx.progress(Math.round(from + (to - from) * Math.min(1, Math.max(0, f)))),
    },
  );
}

/** A JSON output file of kind `kind` (object intelligence). */
export async function jsonOutput(ctx: RunnerContext, kind: string, body: unknown): Promise<OutputSpec> {
  const localPath = join(ctx.workDir, `${kind}.json`);
  await writeFile(localPath, `${JSON.stringify(body, null, 2)}\n`);
  return { localPath, object: 'intelligence', kind, type: 'application/json', ext: 'json', primary: true };
}

/** A model's JSON answer: fences and chatter around the object are tolerated, anything else is not. */
export function parseModelJson(text: string): Record<string, unknown> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) {
    try {
      const v = JSON.parse(text.slice(start, end + 1));
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through to the error below
    }
  }
  throw new AppError(
    'provider_invalid_response',
    `The model did not answer with the JSON object asked for; it said: ${JSON.stringify(text.slice(0, 200))}.`,
  );
}

/** Images for a vision model: the image itself, or a few frames spread over a video. */
export async function visualsOf(ctx: RunnerContext, probe: ProbeResult, frames = 4): Promise<ChatImage[]> {
  const path = ctx.input!.localPath;
  const max = ctx.limits.maxPixels;
  if (probe.kind === 'image') return [{ mime: 'image/jpeg', data: await imageJpeg(path, 1024, max) }];
  if (!probe.hasVideo) return [];
  const duration = probe.duration ?? 0;
  const every = duration > 0 ? Math.max(0.5, duration / frames) : 1;
  const sampled = await sampleFrames(path, ctx.workDir, {
    every,
    maxFrames: frames,
    size: 768,
    signal: ctx.signal,
    stallTimeoutMs: ctx.limits.ffmpegStallMs,
  });
  return Promise.all(
    sampled.map(async (f) => ({ mime: 'image/jpeg', data: await imageJpeg(f.path, 768, max) })),
  );
}

/** Transcript lines with their times, cut to a size a model's context takes comfortably. */
export function transcriptText(t: Transcript, maxChars = 24_000): string {
  const lines = t.segments.map((s) => `[${s.start.toFixed(1)}-${s.end.toFixed(1)}] ${s.text}`);
  let out = lines.join('\n');
  if (out.length > maxChars) out = `${out.slice(0, maxChars)}\n[…transcript cut…]`;
  return out;
}

export function noProvider(message: string): never {
  throw new PermanentTaskError(message);
}

export const round = (n: number) => Math.round(n * 1000) / 1000;
