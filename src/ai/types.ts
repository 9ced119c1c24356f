// One interface per capability. Runners depend on these, never on an engine; src/ai/providers.ts picks the
// engines from the configuration (docs/intelligence.md).

/** The budget and clock one task gives its provider calls. */
export interface AiCallContext {
  signal: AbortSignal;
  /** counts provider requests (retries included) against the task's cap */
  budget: RequestBudget;
}

export class RequestBudget {
  private used = 0;
  constructor(readonly max: number) {}
  /** Takes one request from the budget; false when the task has used them all. */
  take(): boolean {
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }
  get count(): number {
    return this.used;
  }
}

// --- speech to text ------------------------------------------------------------------------------------

export interface TranscriptSegment {
  /** seconds from the start of the input */
  start: number;
  end: number;
  text: string;
  /** 0–1 when the engine says */
  confidence: number | null;
  speaker?: string | null;
}

export interface Transcript {
  /** ISO 639-1 where known */
  language: string | null;
  segments: TranscriptSegment[];
}

export interface SpeechInput {
  /** the input file; engines extract the audio they need through media/ */
  path: string;
  /** seconds, from the probe */
  duration: number;
  /** a hint ("en"); engines that detect the language may ignore it */
  language?: string;
}

export interface SpeechCallContext extends AiCallContext {
  /** a private dir for extracted audio */
  workDir: string;
  /** 0–1 of the input done */
  progress(fraction: number): void;
  /** ffmpeg watchdog for the extraction (limits.ffmpegStallMs) */
  stallMs: number;
}

export interface SpeechToText {
  /** "pocketsphinx", "whisper.cpp", "openai-compatible (whisper-1)" — shown in /tasks-config */
  readonly name: string;
  transcribe(input: SpeechInput, ctx: SpeechCallContext): Promise<Transcript>;
}

// --- language and vision -------------------------------------------------------------------------------

export interface ChatImage {
  /** image/jpeg, image/png */
  mime: string;
  data: Buffer;
}

export interface ChatRequest {
  system?: string;
  prompt: string;
  images?: ChatImage[];
  /** ask for a JSON object back (response_format json_object where the server supports it) */
  json?: boolean;
  maxTokens?: number;
}

export interface ChatModel {
  readonly name: string;
  /** The model's text answer. */
  complete(req: ChatRequest, ctx: AiCallContext): Promise<string>;
}

// --- nsfw ----------------------------------------------------------------------------------------------

/** nsfwjs's five classes, each 0–1, summing to about 1. */
export interface NsfwScores {
  drawing: number;
  hentai: number;
  neutral: number;
  porn: number;
  sexy: number;
}

/** The nsfw kind's categories for one picture, each 0–1; null where the engine has no such model. */
export interface NsfwCategoryScores {
  nudity: number;
  sexual: number;
  violence: number | null;
  gore: number | null;
  /** the engine's own classes, when it has them (nsfwjs) */
  classes?: NsfwScores;
}

export interface NsfwCallContext extends AiCallContext {
  /** MEDIARY_MAX_PIXELS: decompression bombs are refused while decoding */
  maxPixels: number;
}

export interface NsfwClassifier {
  readonly name: string;
  /** true when every picture is a request to a provider (counted against MEDIARY_AI_MAX_REQUESTS) */
  readonly remote: boolean;
  /** The scores of one picture file (an image, or a frame sampled from a video). */
  score(path: string, ctx: NsfwCallContext): Promise<NsfwCategoryScores>;
}

// --- what a server has ---------------------------------------------------------------------------------

export type Capability = 'speech' | 'chat' | 'nsfw';

export interface ProviderStatus {
  capability: Capability;
  /** the engine that would run, or null when none is configured */
  provider: string | null;
  ready: boolean;
  /** why not, naming the setting to change */
  detail?: string;
}

/** The engines this process has, built once in the composition root and handed to the kinds. */
export interface AiProviders {
  speech: SpeechToText | null;
  chat: ChatModel | null;
  nsfw: NsfwClassifier | null;
  /** for a capability that is null: why, naming the setting that would provide it */
  missing: Partial<Record<Capability, string>>;
  /** the task cap for provider requests (MEDIARY_AI_MAX_REQUESTS) */
  maxRequestsPerTask: number;
  /** cheap readiness checks for /health and `mediary doctor` (binaries present, model files readable) */
  status(): Promise<ProviderStatus[]>;
  /** stops worker threads */
  close(): Promise<void>;
}
