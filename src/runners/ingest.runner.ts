// ingest: fetch a URL and store it as a file (spec §6.4 ingest), the asynchronous twin of POST /files.
// The engine ingests every URL input before a runner starts (kinds that accept 'url' get the task's
// folder/filename/ref/media_id/metadata applied to that file), so what is left here is to hand the
// ingested file back as the task's output.
import { Type } from '@sinclair/typebox';
import { PermanentTaskError, type RunnerContext, type RunResult, type TaskKindDefinition } from './runner.js';

export const IngestTaskOptions = Type.Object(
  {
    media_id: Type.Optional(
      Type.String({
        pattern: '^med_[A-Za-z0-9]{1,64}$',
        description: 'attach the file to this media; default: a new media whose original it becomes',
      }),
    ),
    folder: Type.Optional(Type.String({ maxLength: 1000, description: 'folder of the file in its URL' })),
    filename: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: "file name in its URL; default: the URL's last path segment",
      }),
    ),
    ref: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'reference name, a key in media.urls; default original for a new media',
      }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]), {
        description: 'flat key/value pairs stored on the file',
      }),
    ),
    label: Type.Optional(Type.String({ maxLength: 200, description: 'legacy (SDK ≤0.7)' })),
    // SDK 0.7 examples sent width/height with ingest; they were ignored then and are ignored here. Any other
    // unknown key is refused like every other kind's (a typo was stored silently and never applied).
    width: Type.Optional(Type.Unknown({ description: 'legacy (SDK ≤0.7), ignored' })),
    height: Type.Optional(Type.Unknown({ description: 'legacy (SDK ≤0.7), ignored' })),
  },
  { additionalProperties: false },
);

async function run(ctx: RunnerContext): Promise<RunResult> {
  if (!ctx.input) throw new PermanentTaskError('An ingest task needs a url.');
  return { outputs: [] };
}

export const ingestKind: TaskKindDefinition = {
  kind: 'ingest',
  accepts: 'url',
  options: IngestTaskOptions,
  description:
    'Fetches a URL (SSRF-safe, size and time capped), identifies it from its bytes, probes it and stores it as a file; the task output is that file.',
  run,
};
