// whisper.cpp's CLI (`whisper-cli`, `main` in older builds) with a ggml model: audio is cut into 16 kHz
// WAV windows by media/, each window transcribed with `-oj` (JSON next to `-of`), offsets shifted back.
import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../lib/errors.js';
import { extractSpeechAudio } from '../media/analysis.js';
import { runEngine } from '../media/ffmpeg.js';
import { chunkWindows } from './chunks.js';
import type { SpeechCallContext, SpeechInput, SpeechToText, Transcript, TranscriptSegment } from './types.js';

/** The invocation: model, input, language ("auto" detects), JSON output file, no progress prints. */
export function whisperArgs(model: string, wavPath: string, outBase: string, language?: string): string[] {
  return ['-m', model, '-f', wavPath, '-l', language ?? 'auto', '-oj', '-of', outBase, '-np'];
}

interface WhisperJson {
  result?: { language?: unknown };
  params?: { language?: unknown };
  transcription?: { offsets?: { from?: unknown; to?: unknown }; text?: unknown }[];
}

/** whisper.cpp's `-oj` file: `transcription[]` with `offsets` in ms, `result.language`. */
export function parseWhisperJson(text: string, offset: number): Transcript {
  let body: WhisperJson;
  try {
    body = JSON.parse(text) as WhisperJson;
  } catch {
    throw new Error('the JSON output is not valid JSON');
  }
  if (!body || !Array.isArray(body.transcription)) throw new Error('the JSON output has no "transcription"');
  const segments: TranscriptSegment[] = [];
  for (const t of body.transcription) {
    const from = Number(t.offsets?.from);
    const to = Number(t.offsets?.to);
    const words = typeof t.text === 'string' ? t.text.trim() : '';
    // whisper marks non-speech as [BLANK_AUDIO], [Music], (silence)
    if (!words || /^[[(].*[\])]$/.test(words)) continue;
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error('a segment has no offsets');
    segments.push({
      start: offset + from / 1000,
      end: offset + Math.max(from, to) / 1000,
      text: words,
      confidence: null,
    });
  }
  const lang = body.result?.language ?? body.params?.language;
  return { language: typeof lang === 'string' && lang !== 'auto' ? lang : null, segments };
}

const CHUNK_SECONDS = 600;

export class WhisperCppSpeechToText implements SpeechToText {
  readonly name = 'whisper.cpp';
  constructor(
    private readonly bin: string,
    private readonly model: string,
  ) {}

  async ready(): Promise<string | null> {
    try {
      await access(this.model);
    } catch {
      return `MEDIARY_WHISPER_MODEL (${this.model}) is not a readable file`;
    }
    if (this.bin.includes('/')) {
      try {
        await access(this.bin);
      } catch {
        return `MEDIARY_WHISPER_BIN (${this.bin}) does not exist`;
      }
    }
    return null;
  }

  async transcribe(input: SpeechInput, ctx: SpeechCallContext): Promise<Transcript> {
    const out: Transcript = { language: null, segments: [] };
    const windows = chunkWindows(input.duration, CHUNK_SECONDS);
    for (const [i, w] of windows.entries()) {
      const wav = join(ctx.workDir, `speech-${i}.wav`);
      const base = join(ctx.workDir, `whisper-${i}`);
      await extractSpeechAudio(input.path, wav, {
        format: 'wav',
        start: w.start,
        duration: windows.length > 1 ? w.duration : undefined,
        signal: ctx.signal,
        stallTimeoutMs: ctx.stallMs,
      });
      await runEngine(this.bin, whisperArgs(this.model, wav, base, input.language), {
        name: 'whisper.cpp',
        signal: ctx.signal,
        // a window of ten minutes on a slow CPU; whisper prints nothing with -np until it is done
        timeoutMs: Math.max(120_000, w.duration * 20_000),
      });
      let part: Transcript;
      try {
        part = parseWhisperJson(await readFile(`${base}.json`, 'utf8'), w.start);
      } catch (err) {
        throw new AppError(
          'provider_invalid_response',
          `whisper.cpp did not write the expected JSON: ${(err as Error).message}. Check MEDIARY_WHISPER_BIN is whisper.cpp's CLI.`,
          { cause: err },
        );
      }
      await rm(wav, { force: true });
      out.language ??= part.language;
      out.segments.push(...part.segments);
      ctx.progress((i + 1) / windows.length);
    }
    return out;
  }
}
