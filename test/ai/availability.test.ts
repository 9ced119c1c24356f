// Without its provider an intelligence kind is refused at creation (400 naming the setting) and
// /tasks-config says so; with one, it is listed with the engine that would run it.
import { describe, expect, it } from 'vitest';
import { createAiProviders } from '../../src/ai/providers.js';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/lib/errors.js';
import { intelligenceKinds } from '../../src/runners/registry.js';
import { describeKinds, validateOptions } from '../../src/services/task-options.js';

const providers = (env: Record<string, string>) =>
  createAiProviders(loadConfig({ MEDIARY_DATA_DIR: '/tmp', ...env }).ai);

describe('intelligence kind availability', () => {
  it('without an LLM: description, prompt and outline are refused with the setting named', () => {
    const ai = providers({ MEDIARY_POCKETSPHINX_MODEL_DIR: '/nonexistent' });
    const kinds = intelligenceKinds(ai);
    const def = (k: string) => kinds.find((d) => d.kind === k)!;
    let err: unknown;
    try {
      validateOptions(def('description'), {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(400);
    expect((err as AppError).code).toBe('provider_not_configured');
    expect((err as AppError).message).toMatch(
      /^A description task cannot run on this server: set MEDIARY_AI_BASE_URL/,
    );
    expect(() => validateOptions(def('speech'), {})).toThrow(/pocketsphinx-en-us.*MEDIARY_WHISPER_BIN/);
    expect(() => validateOptions(def('nsfw'), {})).not.toThrow();

    const config = describeKinds(kinds);
    expect(config.description).toMatchObject({ available: false, provider: null });
    expect(config.description.reason).toMatch(/MEDIARY_AI_MODEL/);
    expect(config.nsfw).toMatchObject({ available: true, provider: 'nsfwjs (MobileNetV2, wasm)' });
    expect(config.chapters).toMatchObject({ available: true, provider: 'ffmpeg scdet' });
  });

  it('with an OpenAI-compatible endpoint every kind is available', () => {
    const ai = providers({
      MEDIARY_AI_BASE_URL: 'http://127.0.0.1:11434/v1',
      MEDIARY_AI_MODEL: 'llava',
      MEDIARY_AI_SPEECH_MODEL: 'whisper-1',
    });
    const config = describeKinds(intelligenceKinds(ai));
    for (const k of ['speech', 'subtitles', 'chapters', 'outline', 'nsfw', 'description', 'prompt']) {
      expect(config[k].available, k).toBe(true);
    }
    expect(config.outline.provider).toBe('openai-compatible (whisper-1) + openai-compatible (llava)');
    expect(() => validateOptions(intelligenceKinds(ai).find((d) => d.kind === 'prompt')!, {})).toThrow(
      /Missing option "prompt"/,
    );
  });

  it('settings that cannot work are refused at startup', () => {
    expect(() => loadConfig({ MEDIARY_AI_MODEL: 'llava' })).toThrow(/MEDIARY_AI_BASE_URL/);
    expect(() => loadConfig({ MEDIARY_WHISPER_BIN: 'whisper-cli' })).toThrow(/MEDIARY_WHISPER_MODEL/);
  });
});
