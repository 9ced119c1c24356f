// nsfw on an OpenAI-compatible vision model (MEDIARY_AI_NSFW_PROVIDER=openai), against a local server that
// records requests and answers like /chat/completions: the request shape (model, Bearer key, the image
// part), scores → detected by the threshold, a video's timeline, malformed replies failing clearly, and
// /tasks-config naming the provider.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAiProviders } from '../../src/ai/providers.js';
import { parseNsfwReply } from '../../src/ai/vision-nsfw.js';
import { loadConfig } from '../../src/config.js';
import { AppError } from '../../src/lib/errors.js';
import { intelligenceKinds } from '../../src/runners/registry.js';
import type { TaskKindDefinition } from '../../src/runners/runner.js';
import { describeKinds } from '../../src/services/task-options.js';
import { ffmpeg, tempDir } from '../media/helpers.js';
import { makeContext, only } from '../runners/helpers.js';

interface Recorded {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server;
let base = '';
let requests: Recorded[] = [];
let replies: ((res: ServerResponse) => void)[] = [];
const tmp = tempDir('mediary-vision-nsfw-');
let image = '';
let video = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const reply = replies.shift();
      if (reply) reply(res);
      else json(res, 500, { error: { message: 'no reply queued' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  image = tmp.path('pattern.png');
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x240', '-frames:v', '1', image]);
  video = tmp.path('bars.mp4');
  ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10:d=5'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', video],
  ]);
});

afterEach(() => {
  requests = [];
  replies = [];
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const answer = (content: string) => (res: ServerResponse) =>
  json(res, 200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'llava',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  });

const scores = (s: Record<string, unknown>) => answer(JSON.stringify(s));

function providers(env: Record<string, string> = {}) {
  return createAiProviders(
    loadConfig({
      MEDIARY_DATA_DIR: tmp.dir,
      MEDIARY_AI_BASE_URL: base,
      MEDIARY_AI_API_KEY: 'sk-test',
      MEDIARY_AI_MODEL: 'llava',
      MEDIARY_AI_NSFW_PROVIDER: 'openai',
      MEDIARY_AI_MAX_RETRIES: '0',
      ...env,
    }).ai,
    { retryBaseMs: 5 },
  );
}

function nsfw(env: Record<string, string> = {}): TaskKindDefinition {
  return intelligenceKinds(providers(env)).find((k) => k.kind === 'nsfw') as TaskKindDefinition;
}

async function run(input: string, options: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const { ctx } = makeContext(tmp.dir, 'nsfw', input, options);
  const result = await nsfw(env).run(ctx);
  return JSON.parse(readFileSync(only(result.outputs).localPath, 'utf8'));
}

describe('nsfw on an OpenAI-compatible vision model', () => {
  it('sends the model, the Bearer key, the prompt and the picture as a JPEG data-URL part', async () => {
    replies.push(scores({ nudity: 0.01, sexual: 0, violence: 0.02, gore: 0 }));
    await run(image);
    expect(requests).toHaveLength(1);
    const [r] = requests;
    expect(r.url).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer sk-test');
    const body = JSON.parse(r.body.toString());
    expect(body.model).toBe('llava');
    expect(body.messages[0].role).toBe('system');
    const user = body.messages[1];
    expect(user.role).toBe('user');
    expect(user.content[0].type).toBe('text');
    expect(user.content[0].text).toMatch(/"nudity".*"sexual".*"violence".*"gore"/s);
    expect(user.content[1].type).toBe('image_url');
    const url: string = user.content[1].image_url.url;
    expect(url.startsWith('data:image/jpeg;base64,')).toBe(true);
    // a real JPEG of the picture
    expect(Buffer.from(url.split(',')[1], 'base64').subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('scores under the threshold: not detected, the same shape as nsfwjs plus violence and gore', async () => {
    replies.push(scores({ nudity: 0.1, sexual: 0.05, violence: 0.2, gore: 0 }));
    const body = await run(image);
    expect(body).toEqual({
      kind: 'nsfw',
      detected: false,
      categories: [],
      confidence: 0.8,
      nudity: 0.1,
      sexual: 0.05,
      violence: 0.2,
      gore: 0,
    });
  });

  it('a score at the threshold is detected; out-of-range scores are clamped', async () => {
    replies.push(answer('```json\n{"nudity": 0.7, "sexual": 1.4, "violence": -0.3, "gore": "0.1"}\n```'));
    const body = await run(image, { threshold: 0.7 });
    expect(body).toMatchObject({
      detected: true,
      categories: ['nudity', 'sexual'],
      confidence: 1,
      nudity: 0.7,
      sexual: 1,
      violence: 0,
      gore: 0.1,
    });
    replies.push(scores({ nudity: 0, sexual: 0, violence: 0.9, gore: 0.65 }));
    const violent = await run(image);
    expect(violent).toMatchObject({ detected: true, categories: ['violence', 'gore'], confidence: 0.9 });
  });

  it('video: one request per sampled frame and a timeline with the worst scores on top', async () => {
    replies.push(scores({ nudity: 0, sexual: 0, violence: 0, gore: 0 }));
    replies.push(scores({ nudity: 0.9, sexual: 0.3, violence: 0, gore: 0 }));
    replies.push(scores({ nudity: 0.1, sexual: 0.2, violence: 0.4, gore: 0 }));
    const body = await run(video, { interval: 2 });
    expect(requests).toHaveLength(3);
    expect(body).toMatchObject({
      kind: 'nsfw',
      detected: true,
      categories: ['nudity'],
      nudity: 0.9,
      sexual: 0.3,
      violence: 0.4,
      gore: 0,
      frames: 3,
    });
    expect(body.timeline.map((e: { start: number }) => e.start)).toEqual([0, 2, 4]);
    expect(body.timeline.map((e: { detected: boolean }) => e.detected)).toEqual([false, true, false]);
    expect(body.timeline[1]).toMatchObject({ categories: ['nudity'], nudity: 0.9, violence: 0 });
  });

  it('video frames are capped by the request cap (one request per frame)', async () => {
    for (let i = 0; i < 2; i++) replies.push(scores({ nudity: 0, sexual: 0, violence: 0, gore: 0 }));
    const body = await run(video, { interval: 0.5 }, { MEDIARY_AI_MAX_REQUESTS: '2' });
    expect(body.frames).toBe(2);
    expect(requests).toHaveLength(2);
  });

  it('a malformed reply fails the task clearly as provider_invalid_response, without retrying', async () => {
    const cases = [
      answer('I cannot help with that.'),
      answer('{"nudity": 0.1, "sexual": 0.2}'),
      answer('{"nudity": "high", "sexual": 0, "violence": 0, "gore": 0}'),
      answer('[0.1, 0.2, 0.3, 0.4]'),
      (res: ServerResponse) => json(res, 200, { hello: 'world' }),
    ];
    for (const reply of cases) {
      replies.push(reply);
      const err = await run(image, {}, { MEDIARY_AI_MAX_RETRIES: '2' }).then(
        () => null,
        (e) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const cause = (err as Error & { cause?: unknown }).cause;
      expect(cause).toBeInstanceOf(AppError);
      expect((cause as AppError).code).toBe('provider_invalid_response');
      expect((cause as AppError).retryable).toBe(false);
      expect(err.message).toMatch(/nsfw request|without any message text/);
      expect(requests).toHaveLength(1);
      requests = [];
    }
  });

  it('parseNsfwReply names what is wrong', () => {
    expect(() => parseNsfwReply('no json here')).toThrow(/no JSON object/);
    expect(() => parseNsfwReply('{"nudity": 1, "sexual": 0, "violence": 0}')).toThrow(
      /"gore" is not a number/,
    );
    expect(parseNsfwReply('{"nudity": 0.12345, "sexual": 0, "violence": 0, "gore": 2}')).toEqual({
      nudity: 0.123,
      sexual: 0,
      violence: 0,
      gore: 1,
    });
  });
});

describe('choosing the nsfw provider', () => {
  it('/tasks-config shows the vision model for nsfw when MEDIARY_AI_NSFW_PROVIDER=openai', () => {
    const config = describeKinds(intelligenceKinds(providers()));
    expect(config.nsfw).toMatchObject({ available: true, provider: 'openai-compatible (llava)' });
  });

  it('nsfwjs stays the default, even with a vision model configured', async () => {
    const ai = providers({ MEDIARY_AI_NSFW_PROVIDER: '' });
    expect(describeKinds(intelligenceKinds(ai)).nsfw.provider).toBe('nsfwjs (MobileNetV2, wasm)');
    const status = await ai.status();
    expect(status.find((s) => s.capability === 'nsfw')).toMatchObject({
      provider: 'nsfwjs (MobileNetV2, wasm)',
      ready: true,
    });
  });

  it('settings that cannot work are refused at startup', () => {
    expect(() => loadConfig({ MEDIARY_AI_NSFW_PROVIDER: 'openai' })).toThrow(
      /MEDIARY_AI_NSFW_PROVIDER=openai needs MEDIARY_AI_BASE_URL and MEDIARY_AI_MODEL/,
    );
    expect(() =>
      loadConfig({ MEDIARY_AI_BASE_URL: base, MEDIARY_AI_MODEL: 'llava', MEDIARY_AI_NSFW_PROVIDER: 'x' }),
    ).toThrow(/must be nsfwjs or openai/);
  });
});
