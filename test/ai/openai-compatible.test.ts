// The OpenAI-compatible provider against a local server that records requests and answers like the real
// API: chat completions with an image part, audio transcriptions (multipart, verbose_json segments).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createOpenAiClient,
  OpenAiChatModel,
  type OpenAiCompatibleSettings,
  OpenAiSpeechToText,
} from '../../src/ai/openai-compatible.js';
import { RequestBudget } from '../../src/ai/types.js';
import { AppError } from '../../src/lib/errors.js';
import { ffmpeg, tempDir } from '../media/helpers.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

let server: Server;
let base = '';
let requests: Recorded[] = [];
let handlers: Handler[] = [];
const tmp = tempDir('mediary-openai-');

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(r);
      const h = handlers.shift();
      if (h) h(r, res);
      else json(res, 500, { error: { message: 'no handler' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterEach(() => {
  requests = [];
  handlers = [];
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const completion = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'llava',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});

function settings(over: Partial<OpenAiCompatibleSettings> = {}): OpenAiCompatibleSettings {
  return { baseUrl: base, apiKey: 'sk-test', timeoutMs: 2000, maxRetries: 2, retryBaseMs: 5, ...over };
}

function chat(over: Partial<OpenAiCompatibleSettings> = {}) {
  const s = settings(over);
  return new OpenAiChatModel(createOpenAiClient(s), s, 'llava');
}

const call = (max = 10) => ({ signal: new AbortController().signal, budget: new RequestBudget(max) });

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('chat completions', () => {
  it('sends the model, the Bearer key, the prompt and the image as a data URL part', async () => {
    handlers.push((_r, res) => json(res, 200, completion('A red square.')));
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    const text = await chat().complete(
      { system: 'be brief', prompt: 'What is this?', images: [{ mime: 'image/png', data: png }] },
      call(),
    );
    expect(text).toBe('A red square.');
    expect(requests).toHaveLength(1);
    const [r] = requests;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v1/chat/completions');
    expect(r.headers.authorization).toBe('Bearer sk-test');
    const body = JSON.parse(r.body.toString());
    expect(body.model).toBe('llava');
    expect(body.messages[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(body.messages[1].role).toBe('user');
    expect(body.messages[1].content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
    ]);
  });

  it('retries 429 and 500 with backoff, counting each request against the budget', async () => {
    handlers.push((_r, res) => json(res, 429, { error: { message: 'slow down' } }));
    handlers.push((_r, res) => json(res, 500, { error: { message: 'boom' } }));
    handlers.push((_r, res) => json(res, 200, completion('ok')));
    const ctx = call();
    expect(await chat().complete({ prompt: 'hi' }, ctx)).toBe('ok');
    expect(requests).toHaveLength(3);
    expect(ctx.budget.count).toBe(3);
  });

  it('gives up after the retries with a retryable provider_unavailable naming the status', async () => {
    for (let i = 0; i < 3; i++) handlers.push((_r, res) => json(res, 503, { error: { message: 'down' } }));
    const err = await failure(chat().complete({ prompt: 'hi' }, call()));
    expect(err.code).toBe('provider_unavailable');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/503/);
    expect(requests).toHaveLength(3);
  });

  it('stops at the task request cap', async () => {
    for (let i = 0; i < 3; i++) handlers.push((_r, res) => json(res, 500, {}));
    const err = await failure(chat().complete({ prompt: 'hi' }, call(2)));
    expect(err.code).toBe('provider_budget_exceeded');
    expect(err.message).toMatch(/MEDIARY_AI_MAX_REQUESTS/);
    expect(requests).toHaveLength(2);
  });

  it('times out a server that does not answer', async () => {
    handlers.push(() => {});
    const err = await failure(chat({ timeoutMs: 200, maxRetries: 0 }).complete({ prompt: 'hi' }, call()));
    expect(err.code).toBe('provider_unavailable');
    expect(err.message).toMatch(/200 ms.*MEDIARY_AI_TIMEOUT_MS/);
  });

  it('a refused key is not retried and names the setting', async () => {
    handlers.push((_r, res) => json(res, 401, { error: { message: 'bad key' } }));
    const err = await failure(chat().complete({ prompt: 'hi' }, call()));
    expect(err.code).toBe('provider_rejected');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/401: bad key.*MEDIARY_AI_API_KEY/);
    expect(requests).toHaveLength(1);
  });

  it('a malformed reply fails clearly, without retrying', async () => {
    handlers.push((_r, res) => json(res, 200, { hello: 'world' }));
    const err = await failure(chat().complete({ prompt: 'hi' }, call()));
    expect(err.code).toBe('provider_invalid_response');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/without any message text/);
    handlers.push((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices": [');
    });
    const garbage = await failure(chat().complete({ prompt: 'hi' }, call()));
    expect(garbage.code).toBe('provider_invalid_response');
  });
});

describe('audio transcriptions', () => {
  it('uploads the audio as multipart with verbose_json and reads the segments', async () => {
    const wav = tmp.path('tone.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=2', wav]);
    handlers.push((_r, res) =>
      json(res, 200, {
        task: 'transcribe',
        language: 'english',
        duration: 2.0,
        text: ' Hello there. General Kenobi.',
        segments: [
          {
            id: 0,
            seek: 0,
            start: 0.0,
            end: 1.2,
            text: ' Hello there.',
            tokens: [1],
            temperature: 0,
            avg_logprob: -0.2,
            compression_ratio: 1,
            no_speech_prob: 0.01,
          },
          {
            id: 1,
            seek: 0,
            start: 1.2,
            end: 2.0,
            text: ' General Kenobi.',
            tokens: [2],
            temperature: 0,
            avg_logprob: -0.4,
            compression_ratio: 1,
            no_speech_prob: 0.02,
          },
        ],
      }),
    );
    const s = settings();
    const stt = new OpenAiSpeechToText(createOpenAiClient(s), s, 'whisper-1');
    const fractions: number[] = [];
    const t = await stt.transcribe(
      { path: wav, duration: 2 },
      { ...call(), workDir: tmp.dir, stallMs: 30_000, progress: (f) => fractions.push(f) },
    );
    expect(t.language).toBe('en');
    expect(t.segments.map((x) => x.text)).toEqual(['Hello there.', 'General Kenobi.']);
    expect(t.segments[1]).toMatchObject({ start: 1.2, end: 2 });
    expect(t.segments[0].confidence).toBeCloseTo(Math.exp(-0.2), 3);
    expect(fractions).toEqual([1]);

    const [r] = requests;
    expect(r.url).toBe('/v1/audio/transcriptions');
    expect(r.headers.authorization).toBe('Bearer sk-test');
    expect(r.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const body = r.body.toString('latin1');
    const field = (name: string) =>
      new RegExp(`name="${name.replace('[', '\\[').replace(']', '\\]')}"\\r\\n\\r\\n([^\\r]*)`).exec(
        body,
      )?.[1];
    expect(field('model')).toBe('whisper-1');
    expect(field('response_format')).toBe('verbose_json');
    expect(body).toMatch(/name="timestamp_granularities\[\]"\r\n\r\nsegment/);
    expect(body).toMatch(/name="file"; filename="speech-0\.mp3"\r\nContent-Type: audio\/mpeg/);
  });

  it('a reply without segments fails as provider_invalid_response', async () => {
    const wav = tmp.path('tone2.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=f=440:d=1', wav]);
    handlers.push((_r, res) => json(res, 200, { nonsense: true }));
    const s = settings();
    const stt = new OpenAiSpeechToText(createOpenAiClient(s), s, 'whisper-1');
    const err = await failure(
      stt.transcribe(
        { path: wav, duration: 1 },
        { ...call(), workDir: tmp.dir, stallMs: 30_000, progress: () => {} },
      ),
    );
    expect(err.code).toBe('provider_invalid_response');
    expect(err.message).toMatch(/verbose_json/);
  });
});
