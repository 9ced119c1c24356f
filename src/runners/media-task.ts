// Pieces shared by the media task kinds (video, image, audio, thumbnails): option schema fragments,
// input probing with limits, and the rule that decides whether a failure is worth retrying.
import { type TLiteral, type TObject, type TUnion, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { AppError } from '../lib/errors.js';
import { MediaError } from '../media/errors.js';
import { type EarlyProbe, startFfprobe } from '../media/ffmpeg.js';
import type { ImageMeta } from '../media/image.js';
import { FITS, POSITIONS, QUALITY_LEVELS } from '../media/options.js';
import { type ProbeResult, probeFile, probeMedia } from '../media/probe.js';
import { sniffFile } from '../media/sniff.js';
import { type InputKind, PermanentTaskError, type RunnerContext, type RunResult } from './runner.js';

/** A string enum as a union of literals: Value.Check and Ajv both understand it. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  opts: { description: string; default?: T[number] },
): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    opts,
  );
}

/** Output props every kind accepts (spec §6.3). webhook_url and the input ids belong to the task itself. */
export const outputProps = {
  ref: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'reference name of the output file; it becomes a key in media.urls',
    }),
  ),
  folder: Type.Optional(
    Type.String({ maxLength: 1000, description: 'folder of the output in its delivery URL (sanitised)' }),
  ),
  filename: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'file name of the output in its delivery URL; default {file_id}.{ext}',
    }),
  ),
};

/** width/height: pixels or a percentage of the input ("50%"). */
export function sizeOption(side: 'width' | 'height', maxPx: number, maxPercent: number) {
  // the pattern spells out 1…maxPercent so the schema alone rejects "0%" and out-of-range values
  const pattern = maxPercent === 100 ? '^(100|[1-9][0-9]?)%$' : '^[1-9][0-9]{0,2}%$';
  return Type.Optional(
    Type.Union(
      [
        Type.Integer({ minimum: 1, maximum: maxPx }),
        Type.String({ pattern, description: `percentage of the input ${side}, 1–${maxPercent}%` }),
      ],
      {
        description: `output ${side} in pixels (1–${maxPx}) or "NN%" of the input; default: the input's, or kept in proportion when only the other side is given`,
      },
    ),
  );
}

const positionOption = Type.Optional(
  StringEnum(POSITIONS, {
    default: 'center',
    description: 'anchor of the crop (fit cover) or of the picture inside the padding (fit contain)',
  }),
);

/** Output size and framing, as the video and image kinds take them; each adds its own background. */
export const resizeOptions = {
  width: sizeOption('width', 8192, 999),
  height: sizeOption('height', 8192, 999),
  fit: Type.Optional(
    StringEnum(FITS, {
      default: 'fill',
      description:
        'with both width and height: fill stretches, cover crops the overflow, contain pads with background',
    }),
  ),
  position: positionOption,
};

/** "#20B075", "#fff", "#20B07580" (alpha); the leading # is optional, as the parser allows. */
export const HEX_COLOR_PATTERN = '^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$';

export function qualityOption(description: string, dflt: number | 'medium') {
  return Type.Optional(
    Type.Union(
      [
        Type.Integer({ minimum: 1, maximum: 100 }),
        StringEnum(QUALITY_LEVELS, { description: 'named quality level' }),
      ],
      { default: dflt, description },
    ),
  );
}

export const trimOptions = {
  start: Type.Optional(
    Type.Number({ minimum: 0, default: 0, description: 'start of the output in the input, seconds' }),
  ),
  end: Type.Optional(
    Type.Number({
      minimum: 0,
      description: 'end of the output in the input, seconds (after start); default: the end of the input',
    }),
  ),
};

/**
 * What the engine should see for a failure: what the error catalogue calls not retryable (impossible
 * options; inputs that are broken, unsupported or over the limits) fails the task at once; anything else
 * (a tool crash, a stall, a cancel) is passed on unchanged so the engine can retry or stop.
 */
export function toTaskError(err: unknown): unknown {
  if (err instanceof PermanentTaskError) return err;
  if (err instanceof AppError && !err.retryable) return new PermanentTaskError(err.message, { cause: err });
  return err;
}

/** Runs a kind's body with the failure rule applied. */
export async function runMediaTask<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toTaskError(err);
  }
}

/**
 * Re-checks the options this kind knows against its schema. POST /tasks validated them already; tasks
 * made by workflows or stored by an older version may not have been. Keys the schema does not list
 * (webhook_url, ids …) are the engine's and are left alone here.
 */
/** options schemas compiled once (the interpreter walks the schema on every call) */
const compiledChecks = new WeakMap<TObject, TypeCheck<TObject>>();

export function checkOptions<T>(schema: TObject, options: Record<string, unknown>): T {
  const known: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    if (options[key] !== undefined && options[key] !== null) known[key] = options[key];
  }
  let check = compiledChecks.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiledChecks.set(schema, check);
  }
  if (check.Check(known)) return known as T;
  const first = check.Errors(known).First();
  if (first) {
    const name = first.path.replace(/^\//, '').split('/')[0] || 'options';
    throw new PermanentTaskError(`Invalid option ${name}: ${first.message}.`);
  }
  return known as T;
}

const article = (k: string) => (k === 'video' ? `a ${k}` : `an ${k}`);

export interface ProbedInput {
  path: string;
  probe: ProbeResult;
  /** the image header the probe read (image inputs), for transforms that would read it again */
  image?: ImageMeta;
}

/**
 * The task's input, identified from its bytes and probed with the configured limits (pixels and
 * duration are checked on headers, before anything is decoded). Headers only: a stored file's data was
 * verified when it was ingested (or written as a task's output), and the tools decoding it for the task
 * fail on damaged data anyway.
 */
export async function probeInput(
  ctx: RunnerContext,
  kind: string,
  accepts: readonly InputKind[],
): Promise<ProbedInput> {
  if (!ctx.input) throw new PermanentTaskError(`A ${kind} task needs an input file.`);
  const path = ctx.input.localPath;
  const found = await probeMedia(
    path,
    { maxPixels: ctx.limits.maxPixels, maxDurationSeconds: ctx.limits.maxDurationSeconds },
    { signal: ctx.signal, verify: false },
  );
  if (!found) throw new PermanentTaskError('The input file is not a supported video, image or audio file.');
  const { probe, image } = found;
  if (!accepts.includes(probe.kind)) {
    throw new PermanentTaskError(
      `A ${kind} task needs ${accepts.map(article).join(' or ')} input; this file is ${article(probe.kind)}.`,
    );
  }
  return { path, probe, image };
}

/**
 * Facts about a finished output, from its headers (our own tools just wrote it and exited cleanly).
 * The output is ours, so a probe failure here is a tool problem, not the user's: it is reported as a
 * plain (retryable) error.
 */
export async function probeOutput(
  path: string,
  signal?: AbortSignal,
  ffprobe?: EarlyProbe,
): Promise<ProbeResult> {
  try {
    const sniffed = await sniffFile(path);
    if (!sniffed) throw new Error('unrecognised output');
    return await probeFile(path, sniffed, {}, { signal, verify: false, ffprobe });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`The output could not be read back: ${why}`, { cause: err });
  }
}

/**
 * probeOutput with its ffprobe started now, before the output exists, so that the tool's start-up
 * overlaps the work (see startFfprobe). For outputs whose headers come first: MP4/MOV with fast start,
 * WebM. cancel() when no output comes; it is harmless after probe().
 */
export async function prepareOutputProbe(
  ctx: RunnerContext,
): Promise<{ probe(path: string): Promise<ProbeResult>; cancel(): void }> {
  const early = await startFfprobe({ signal: ctx.signal });
  return {
    probe: (path) => probeOutput(path, ctx.signal, early),
    cancel: () => early.cancel(),
  };
}

/** Refuses outputs over the pixel limit before the work starts. */
export function checkOutputPixels(
  width: number | undefined,
  height: number | undefined,
  ctx: RunnerContext,
  what = 'The output',
): void {
  if (!width || !height) return;
  if (width * height > ctx.limits.maxPixels) {
    throw new PermanentTaskError(
      `${what} would be ${width}×${height} (${Math.round((width * height) / 1e6)} megapixels); the limit is ${Math.round(ctx.limits.maxPixels / 1e6)} megapixels. Choose a smaller width or height.`,
    );
  }
}

/** ref/folder/filename of the task's (primary) output. */
export function outputNaming(options: { ref?: string; folder?: string; filename?: string }): {
  ref: string | null;
  folder: string | null;
  filename: string | null;
} {
  return { ref: options.ref ?? null, folder: options.folder ?? null, filename: options.filename ?? null };
}

/** The result of a kind that makes one file: a source output named by the task's ref/folder/filename. */
export function singleSourceOutput(
  options: { ref?: string; folder?: string; filename?: string },
  output: { localPath: string; kind: string; type: string; facts: ProbeResult; ext: string },
): RunResult {
  return {
    outputs: [
      {
        localPath: output.localPath,
        object: 'source',
        kind: output.kind,
        type: output.type,
        facts: output.facts,
        ext: output.ext,
        ...outputNaming(options),
        primary: true,
      },
    ],
  };
}

/** How every ffmpeg run of a task is watched: the task's signal, the stall watchdog, progress to the engine. */
export function ffmpegWatch(ctx: RunnerContext): {
  signal: AbortSignal;
  stallTimeoutMs: number;
  onProgress: (p: { percent: number; etaSeconds: number | null }) => void;
} {
  return {
    signal: ctx.signal,
    stallTimeoutMs: ctx.limits.ffmpegStallMs,
    onProgress: (p) => ctx.progress(p.percent, p.etaSeconds),
  };
}

/** How far an output may fall short of the length the input's header promised: max(1 s, 10 %). */
export function durationTolerance(expected: number): number {
  return Math.max(1, expected * 0.1);
}

const secs = (n: number) => String(Math.round(n * 10) / 10);

/**
 * Fails a task whose output is much shorter than the probed input said it would be: the file's header
 * claims more than its data holds (a cut upload, a damaged recording). Such a file passes the probe's
 * tail check when seeking past the real end decodes nothing; the output is the first evidence. A
 * media_corrupt error, so the task fails at once (docs/tasks.md, "Inputs shorter than their header").
 */
export function checkOutputDuration(
  probe: Pick<ProbeResult, 'duration'>,
  expected: number | undefined,
  actual: number | undefined,
  start = 0,
): void {
  const claimed = probe.duration;
  if (!claimed || !expected || actual === undefined) return;
  if (expected - actual <= durationTolerance(expected)) return;
  throw new MediaError(
    'media_corrupt',
    `The input holds only ${secs(start + actual)} s of the ${secs(claimed)} s its header claims: its data ends early (a cut or damaged file). Upload the complete file.`,
  );
}
