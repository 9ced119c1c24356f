// The nsfw capability on an OpenAI-compatible vision model (MEDIARY_AI_NSFW_PROVIDER=openai): each picture
// goes to {MEDIARY_AI_BASE_URL}/chat/completions through the chat engine (its client, retries, timeout and
// the task's request cap) with a prompt asking for four scores as JSON; the reply is validated and clamped.
// Anything else than the asked-for object is provider_invalid_response.
import { AppError } from '../lib/errors.js';
import { imageJpeg } from '../media/analysis.js';
import type { ChatModel, NsfwCallContext, NsfwCategoryScores, NsfwClassifier } from './types.js';

export const NSFW_CATEGORIES = ['nudity', 'sexual', 'violence', 'gore'] as const;

export const NSFW_SYSTEM =
  'You are a content moderation classifier. You look at one image and answer only with a JSON object, no prose.';

export const NSFW_PROMPT = [
  'Rate this image for each category with a probability from 0 to 1:',
  '- "nudity": exposed genitals, buttocks or female nipples, or sexually suggestive partial nudity;',
  '- "sexual": sexual activity or sexually explicit content, including drawn or animated;',
  '- "violence": people being hurt or threatened, fighting, weapons used against someone;',
  '- "gore": blood, wounds, mutilation or dead bodies.',
  'Answer with exactly this JSON and nothing else: {"nudity": 0.0, "sexual": 0.0, "violence": 0.0, "gore": 0.0}',
].join('\n');

/** The longest side sent to the model; enough for a moderation call, small enough to keep requests cheap. */
const MAX_SIDE = 768;

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The model's reply → the four scores, clamped to 0–1; throws a plain Error naming what is wrong. */
export function parseNsfwReply(text: string): NsfwCategoryScores {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) throw new Error('no JSON object');
  let body: unknown;
  try {
    body = JSON.parse(text.slice(start, end + 1));
  } catch {
    throw new Error('not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not a JSON object');
  const out: Record<string, number> = {};
  for (const k of NSFW_CATEGORIES) {
    const raw = (body as Record<string, unknown>)[k];
    const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`"${k}" is not a number`);
    out[k] = round(Math.min(1, Math.max(0, v)));
  }
  return { nudity: out.nudity, sexual: out.sexual, violence: out.violence, gore: out.gore };
}

export class VisionNsfwClassifier implements NsfwClassifier {
  readonly name: string;
  readonly remote = true;

  constructor(private readonly chat: ChatModel) {
    this.name = chat.name;
  }

  async score(path: string, ctx: NsfwCallContext): Promise<NsfwCategoryScores> {
    const data = await imageJpeg(path, MAX_SIDE, ctx.maxPixels);
    const text = await this.chat.complete(
      {
        system: NSFW_SYSTEM,
        prompt: NSFW_PROMPT,
        images: [{ mime: 'image/jpeg', data }],
        json: true,
        maxTokens: 100,
      },
      ctx,
    );
    try {
      return parseNsfwReply(text);
    } catch (err) {
      throw new AppError(
        'provider_invalid_response',
        `The vision model (${this.name}) did not answer the nsfw request with the scores asked for (${(err as Error).message}; expected {"nudity", "sexual", "violence", "gore"} from 0 to 1); it said: ${JSON.stringify(text.slice(0, 200))}.`,
        { cause: err },
      );
    }
  }
}
