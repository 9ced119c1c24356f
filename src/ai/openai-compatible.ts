// Any OpenAI-compatible server (Ollama, vLLM, LocalAI, llama.cpp server, faster-whisper server, OpenAI)
// through the `openai` client: /chat/completions with image parts, /audio/transcriptions with
// verbose_json segments. The client's own retries are off: retries here count against the task's request
// cap and follow lib/backoff.ts; every failure becomes one of the catalogue's provider_* errors.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  toFile,
} from 'openai';
import { backoff } from '../lib/backoff.js';
import { AppError } from '../lib/errors.js';
import { extractSpeechAudio } from '../media/analysis.js';
import { chunkWindows } from './chunks.js';
import type {
  AiCallContext,
  ChatModel,
  ChatRequest,
  SpeechCallContext,
  SpeechInput,
  SpeechToText,
  Transcript,
  TranscriptSegment,
} from './types.js';

export interface OpenAiCompatibleSettings {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  maxRetries: number;
  /** first retry delay; doubles per retry (tests make it small) */
  retryBaseMs?: number;
}

export function createOpenAiClient(s: OpenAiCompatibleSettings): OpenAI {
  return new OpenAI({
    baseURL: s.baseUrl,
    // local servers take no key; the client insists on one, and sends it as the Bearer token
    apiKey: s.apiKey ?? 'none',
    timeout: s.timeoutMs,
    maxRetries: 0,
  });
}

const where = (s: OpenAiCompatibleSettings) => `the AI provider at ${s.baseUrl}`;

/** One place that turns whatever the client threw into a catalogue error with a clear message. */
export function providerError(err: unknown, s: OpenAiCompatibleSettings, what: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof APIUserAbortError)
    return new AppError('cancelled', `The ${what} request was cancelled.`);
  if (err instanceof APIConnectionTimeoutError) {
    return new AppError(
      'provider_unavailable',
      `${cap(where(s))} did not answer the ${what} request within ${s.timeoutMs} ms (MEDIARY_AI_TIMEOUT_MS).`,
      { cause: err },
    );
  }
  if (err instanceof APIConnectionError) {
    return new AppError('provider_unavailable', `${cap(where(s))} could not be reached (${what}).`, {
      cause: err,
    });
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const status = err.status;
    const said = shortMessage(err);
    if (status === 429 || status >= 500 || status === 408) {
      return new AppError(
        'provider_unavailable',
        `${cap(where(s))} answered ${status} to the ${what} request${said}.`,
        { cause: err },
      );
    }
    const hint =
      status === 401 || status === 403
        ? ' Check MEDIARY_AI_API_KEY.'
        : status === 404
          ? ' Check MEDIARY_AI_BASE_URL and the model name.'
          : '';
    return new AppError(
      'provider_rejected',
      `${cap(where(s))} refused the ${what} request with ${status}${said}.${hint}`,
      { cause: err },
    );
  }
  return new AppError(
    'provider_invalid_response',
    `${cap(where(s))} sent a reply to the ${what} request that could not be read: ${(err as Error)?.message ?? err}`,
    { cause: err },
  );
}

function shortMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  const msg = typeof body?.message === 'string' ? body.message : '';
  return msg ? `: ${msg.slice(0, 200)}` : '';
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

function retryAfterMs(err: unknown): number | null {
  if (!(err instanceof APIError) || !err.headers) return null;
  const v = err.headers.get('retry-after');
  if (!v) return null;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.min(secs * 1000, 30_000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - Date.now()), 30_000) : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AppError('cancelled', 'The request was cancelled.'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AppError('cancelled', 'The request was cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Calls the provider, retrying 429/5xx/timeouts with backoff, each try taken from the task's budget. */
export async function withRetries<T>(
  s: OpenAiCompatibleSettings,
  ctx: AiCallContext,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (!ctx.budget.take()) {
      throw new AppError(
        'provider_budget_exceeded',
        `This task reached its cap of ${ctx.budget.max} requests to the AI provider (MEDIARY_AI_MAX_REQUESTS).`,
      );
    }
    try {
      return await call();
    } catch (raw) {
      const err = providerError(raw, s, what);
      if (ctx.signal.aborted) throw new AppError('cancelled', `The ${what} request was cancelled.`);
      if (!err.retryable || err.code === 'cancelled' || attempt > s.maxRetries) throw err;
      const wait = retryAfterMs(raw) ?? backoff(attempt, { baseMs: s.retryBaseMs ?? 1000, capMs: 20_000 });
      await sleep(wait, ctx.signal);
    }
  }
}

export class OpenAiChatModel implements ChatModel {
  readonly name: string;
  constructor(
    private readonly client: OpenAI,
    private readonly s: OpenAiCompatibleSettings,
    private readonly model: string,
  ) {
    this.name = `openai-compatible (${model})`;
  }

  async complete(req: ChatRequest, ctx: AiCallContext): Promise<string> {
    const content: OpenAI.Chat.Completions.ChatCompletionContentPart[] = [{ type: 'text', text: req.prompt }];
    for (const img of req.images ?? []) {
      content.push({
        type: 'image_url',
        image_url: { url: `data:${img.mime};base64,${img.data.toString('base64')}` },
      });
    }
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      ...(req.system ? [{ role: 'system' as const, content: req.system }] : []),
      // a text-only request stays a plain string: some servers accept parts only for vision models
      { role: 'user', content: req.images?.length ? content : req.prompt },
    ];
    const res = await withRetries(this.s, ctx, 'chat', () =>
      this.client.chat.completions.create(
        {
          model: this.model,
          messages,
          ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
        },
        { signal: ctx.signal },
      ),
    );
    const text = (res as unknown as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]
      ?.message?.content;
    if (typeof text !== 'string' || !text.trim()) {
      throw new AppError(
        'provider_invalid_response',
        `${cap(where(this.s))} answered the chat request without any message text.`,
      );
    }
    return text.trim();
  }
}

/** Providers send whole names ("english") in verbose_json; the API's language is ISO 639-1. */
const LANGUAGE_CODES: Record<string, string> = {
  english: 'en',
  german: 'de',
  french: 'fr',
  spanish: 'es',
  italian: 'it',
  portuguese: 'pt',
  dutch: 'nl',
  russian: 'ru',
  chinese: 'zh',
  japanese: 'ja',
  korean: 'ko',
  arabic: 'ar',
  hindi: 'hi',
  polish: 'pl',
  turkish: 'tr',
  swedish: 'sv',
  ukrainian: 'uk',
};

export function languageCode(name: unknown): string | null {
  if (typeof name !== 'string' || !name) return null;
  const lower = name.toLowerCase();
  if (/^[a-z]{2}$/.test(lower)) return lower;
  return LANGUAGE_CODES[lower] ?? lower;
}

interface VerboseSegment {
  start?: unknown;
  end?: unknown;
  text?: unknown;
  avg_logprob?: unknown;
}

/** A verbose_json transcription (segments with times) shifted by `offset` seconds. */
export function parseVerboseJson(body: unknown, offset: number): Transcript {
  const b = body as { language?: unknown; segments?: unknown; text?: unknown } | null;
  if (!b || typeof b !== 'object' || (!Array.isArray(b.segments) && typeof b.text !== 'string')) {
    throw new Error('expected verbose_json with "segments"');
  }
  const segments: TranscriptSegment[] = [];
  if (Array.isArray(b.segments)) {
    for (const raw of b.segments as VerboseSegment[]) {
      const start = Number(raw.start);
      const end = Number(raw.end);
      const text = typeof raw.text === 'string' ? raw.text.trim() : '';
      if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error('a segment has no start or end');
      if (!text) continue;
      const logprob = Number(raw.avg_logprob);
      segments.push({
        start: offset + start,
        end: offset + Math.max(start, end),
        text,
        confidence: Number.isFinite(logprob) ? Math.min(1, Math.max(0, Math.exp(logprob))) : null,
      });
    }
  } else if (typeof b.text === 'string' && b.text.trim()) {
    // a server that ignores verbose_json: one segment without times inside the window
    segments.push({ start: offset, end: offset, text: b.text.trim(), confidence: null });
  }
  return { language: languageCode(b.language), segments };
}

/** The chunk length sent per transcription request: well under the 25 MB upload limit at 48 kbit/s. */
const CHUNK_SECONDS = 600;

export class OpenAiSpeechToText implements SpeechToText {
  readonly name: string;
  constructor(
    private readonly client: OpenAI,
    private readonly s: OpenAiCompatibleSettings,
    private readonly model: string,
  ) {
    this.name = `openai-compatible (${model})`;
  }

  async transcribe(input: SpeechInput, ctx: SpeechCallContext): Promise<Transcript> {
    const out: Transcript = { language: null, segments: [] };
    const windows = chunkWindows(input.duration, CHUNK_SECONDS);
    for (const [i, w] of windows.entries()) {
      const path = join(ctx.workDir, `speech-${i}.mp3`);
      await extractSpeechAudio(input.path, path, {
        format: 'mp3',
        start: w.start,
        duration: windows.length > 1 ? w.duration : undefined,
        signal: ctx.signal,
        stallTimeoutMs: ctx.stallMs,
      });
      const res = await withRetries(this.s, ctx, 'transcription', async () =>
        this.client.audio.transcriptions.create(
          {
            file: await toFile(createReadStream(path), `speech-${i}.mp3`, { type: 'audio/mpeg' }),
            model: this.model,
            response_format: 'verbose_json',
            timestamp_granularities: ['segment'],
            ...(input.language ? { language: input.language } : {}),
          },
          { signal: ctx.signal },
        ),
      );
      let part: Transcript;
      try {
        part = parseVerboseJson(res, w.start);
      } catch (err) {
        throw new AppError(
          'provider_invalid_response',
          `${cap(where(this.s))} answered the transcription request with something other than verbose_json: ${(err as Error).message}.`,
          { cause: err },
        );
      }
      out.language ??= part.language;
      out.segments.push(...part.segments);
      ctx.progress((i + 1) / windows.length);
    }
    return out;
  }
}
