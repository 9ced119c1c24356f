// http steps (spec §6.7 [INF]): POST (or another method) JSON `{task, file, media}` of the step's input to a
// URL, signed with the project's webhook secret (Standard Webhooks headers). A 2xx completes the step; any
// other answer or a network failure is retried with the task's backoff, then fails the step. The URL is
// checked under the SSRF rules when the step is written and again, after DNS, when it is sent.
import { Type } from '@sinclair/typebox';
import { AppError } from '../lib/errors.js';
import { PermanentTaskError, type RunnerContext, type RunResult, type TaskKindDefinition } from './runner.js';

export const HttpTaskOptions = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 8000, description: 'http(s) URL the step posts to' }),
    method: Type.Optional(
      Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')], { default: 'POST' }),
    ),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,100}$' }), Type.String({ maxLength: 2000 }), {
        description: 'extra request headers',
      }),
    ),
    ref: Type.Optional(Type.String({ maxLength: 200, description: 'names the step' })),
  },
  { additionalProperties: false },
);

async function run(ctx: RunnerContext): Promise<RunResult> {
  if (!ctx.post) throw new PermanentTaskError('This worker cannot send http steps.');
  const o = ctx.task.options as { url: string; method?: string; headers?: Record<string, string> };
  const body = JSON.stringify(ctx.subject ?? {});
  const res = await ctx.post(o.url, { method: o.method ?? 'POST', headers: o.headers ?? {}, body });
  if (res.error === null) return { outputs: [], results: { status_code: res.statusCode } };
  const message = `The http step to ${new URL(o.url).host} failed: ${res.error}.`;
  if (res.permanent) throw new PermanentTaskError(message);
  throw new AppError('url_unreachable', message);
}

export const httpKind: TaskKindDefinition = {
  kind: 'http',
  accepts: ['video', 'image', 'audio'],
  uses: ['subject', 'post'],
  options: HttpTaskOptions,
  description:
    'Sends {task, file, media} of the step’s input as JSON to a URL (signed like webhooks); 2xx completes, anything else is retried, then fails.',
  run,
};
