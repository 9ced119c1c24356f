// The local default for speech: pocketsphinx (Debian `pocketsphinx-en-us`) through ffmpeg's `asr` filter,
// which streams the input's audio; nothing is extracted to disk and nothing leaves the machine. English
// only, no confidence scores; good enough for subtitles drafts and chapter pauses, weak on names.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { recognizeSpeech } from '../media/analysis.js';
import type { SpeechCallContext, SpeechInput, SpeechToText, Transcript } from './types.js';

export class PocketsphinxSpeechToText implements SpeechToText {
  readonly name = 'pocketsphinx';
  constructor(private readonly modelDir: string) {}

  /** The model files the filter needs; missing means the optional package is not installed. */
  async ready(): Promise<string | null> {
    for (const f of ['en-us/mdef', 'cmudict-en-us.dict', 'en-us.lm.bin']) {
      try {
        await access(join(this.modelDir, f));
      } catch {
        return `pocketsphinx's model is missing (${f} in ${this.modelDir}): install the Debian packages pocketsphinx and pocketsphinx-en-us, or set MEDIARY_POCKETSPHINX_MODEL_DIR`;
      }
    }
    return null;
  }

  async transcribe(input: SpeechInput, ctx: SpeechCallContext): Promise<Transcript> {
    const utterances = await recognizeSpeech(input.path, {
      modelDir: this.modelDir,
      metaPath: join(ctx.workDir, 'asr.txt'),
      signal: ctx.signal,
      stallTimeoutMs: ctx.stallMs,
      durationSeconds: input.duration || undefined,
      onProgress: (p) => ctx.progress(p.percent / 100),
    });
    return {
      language: 'en',
      segments: utterances.map((u) => ({ ...u, confidence: null })),
    };
  }
}
