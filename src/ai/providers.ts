// Picks the engines from the configuration, once per process (the composition root calls this and hands
// the result to the intelligence kinds). Speech: an OpenAI-compatible transcription model when
// MEDIARY_AI_SPEECH_MODEL is set, else whisper.cpp when MEDIARY_WHISPER_BIN is set, else pocketsphinx when
// its model is installed. Chat and vision: only an OpenAI-compatible endpoint (there is no local default).
// Nsfw: nsfwjs (it ships in the npm package), or the vision model when MEDIARY_AI_NSFW_PROVIDER=openai.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AiSettings } from '../config.js';
import { NsfwjsClassifier } from './nsfwjs.js';
import { createOpenAiClient, OpenAiChatModel, OpenAiSpeechToText } from './openai-compatible.js';
import { PocketsphinxSpeechToText } from './pocketsphinx.js';
import type { AiProviders, ChatModel, NsfwClassifier, ProviderStatus, SpeechToText } from './types.js';
import { VisionNsfwClassifier } from './vision-nsfw.js';
import { WhisperCppSpeechToText } from './whisper-cpp.js';

export const CHAT_SETTING_HINT =
  'set MEDIARY_AI_BASE_URL to an OpenAI-compatible endpoint (Ollama, vLLM, LocalAI, llama.cpp server, OpenAI) and MEDIARY_AI_MODEL to a chat model (a vision model for images and video)';

export const SPEECH_SETTING_HINT =
  'install the Debian packages pocketsphinx and pocketsphinx-en-us, or set MEDIARY_WHISPER_BIN and MEDIARY_WHISPER_MODEL (whisper.cpp), or MEDIARY_AI_BASE_URL and MEDIARY_AI_SPEECH_MODEL (an OpenAI-compatible /audio/transcriptions)';

export interface ProviderOverrides {
  /** tests replace an engine (e.g. a speech engine that fails on purpose) */
  speech?: SpeechToText | null;
  chat?: ChatModel | null;
  nsfw?: NsfwClassifier | null;
  /** first retry delay for provider calls (tests make it small) */
  retryBaseMs?: number;
}

export function createAiProviders(s: AiSettings, overrides: ProviderOverrides = {}): AiProviders {
  const missing: AiProviders['missing'] = {};
  const http = s.baseUrl
    ? {
        baseUrl: s.baseUrl,
        apiKey: s.apiKey,
        timeoutMs: s.timeoutMs,
        maxRetries: s.maxRetries,
        retryBaseMs: overrides.retryBaseMs,
      }
    : null;
  const client = http && (s.model || s.speechModel) ? createOpenAiClient(http) : null;

  let chat: ChatModel | null = null;
  if (client && http && s.model) chat = new OpenAiChatModel(client, http, s.model);
  else missing.chat = CHAT_SETTING_HINT;

  let speech: SpeechToText | null = null;
  const pocketsphinx = new PocketsphinxSpeechToText(s.pocketsphinxModelDir);
  const whisper =
    s.whisperBin && s.whisperModel ? new WhisperCppSpeechToText(s.whisperBin, s.whisperModel) : null;
  if (client && http && s.speechModel) speech = new OpenAiSpeechToText(client, http, s.speechModel);
  else if (whisper) speech = whisper;
  else if (existsSync(join(s.pocketsphinxModelDir, 'en-us.lm.bin'))) speech = pocketsphinx;
  else missing.speech = SPEECH_SETTING_HINT;

  if ('speech' in overrides) {
    speech = overrides.speech ?? null;
    if (speech) delete missing.speech;
  }
  if ('chat' in overrides) {
    chat = overrides.chat ?? null;
    if (chat) delete missing.chat;
  }
  // MEDIARY_AI_NSFW_PROVIDER=openai: the config refused it without a model, so `chat` is the vision model
  let nsfw: NsfwClassifier | null =
    s.nsfwProvider === 'openai' ? (chat ? new VisionNsfwClassifier(chat) : null) : new NsfwjsClassifier();
  if (!nsfw) missing.nsfw = CHAT_SETTING_HINT;
  if ('nsfw' in overrides) {
    nsfw = overrides.nsfw ?? null;
    if (nsfw) delete missing.nsfw;
  }

  return {
    speech,
    chat,
    nsfw,
    missing,
    maxRequestsPerTask: s.maxRequestsPerTask,
    async status(): Promise<ProviderStatus[]> {
      const speechDetail =
        speech === pocketsphinx
          ? await pocketsphinx.ready()
          : speech === whisper && whisper
            ? await whisper.ready()
            : null;
      return [
        speech
          ? {
              capability: 'speech',
              provider: speech.name,
              ready: !speechDetail,
              ...(speechDetail ? { detail: speechDetail } : {}),
            }
          : { capability: 'speech', provider: null, ready: false, detail: SPEECH_SETTING_HINT },
        chat
          ? { capability: 'chat', provider: chat.name, ready: true }
          : { capability: 'chat', provider: null, ready: false, detail: CHAT_SETTING_HINT },
        nsfw
          ? { capability: 'nsfw', provider: nsfw.name, ready: true }
          : { capability: 'nsfw', provider: null, ready: false, detail: missing.nsfw },
      ];
    },
    close: () => NsfwjsClassifier.close(),
  };
}
