// Task kinds for engine tests, registered through createContext({ kinds }). They write tiny text outputs,
// so the tests are about the engine (claims, leases, retries, naming, events), not about media.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import {
  type InputKind,
  PermanentTaskError,
  type RunnerContext,
  type RunResult,
  type TaskKindDefinition,
} from '../../src/runners/runner.js';
import { deferred } from './helpers.js';

const naming = {
  ref: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  folder: Type.Optional(Type.String({ maxLength: 1000 })),
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
};

export const NoteOptions = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('txt'), Type.Literal('md')], { default: 'txt', description: 'note format' }),
    ),
    words: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'words to write' }),
    ),
    ...naming,
  },
  { additionalProperties: false },
);

/** Writes the note output; `extra` secondary outputs without naming of their own. */
export async function writeNote(ctx: RunnerContext, extra = 0): Promise<RunResult> {
  const o = ctx.task.options as {
    format?: string;
    words?: number;
    ref?: string;
    folder?: string;
    filename?: string;
  };
  const ext = o.format ?? 'txt';
  const outputs: RunResult['outputs'] = [];
  for (let i = 0; i <= extra; i++) {
    const path = join(ctx.workDir, `note-${i}.${ext}`);
    await writeFile(path, `${'word '.repeat(o.words ?? 3)}from ${ctx.task.id} attempt ${ctx.task.attempt}\n`);
    outputs.push({
      localPath: path,
      object: 'intelligence',
      kind: 'note',
      type: 'text/plain',
      ext,
      primary: i === 0,
      ...(i === 0 ? {} : { ref: null, folder: null, filename: null }),
    });
  }
  return { outputs };
}

export interface Recorder {
  runs: { id: string; attempt: number; options: Record<string, unknown> }[];
}

/** `note`: accepts any media, writes a text file. */
export function noteKind(
  rec: Recorder = { runs: [] },
  accepts: InputKind[] = ['video', 'image', 'audio'],
): TaskKindDefinition {
  return {
    kind: 'note',
    accepts,
    options: NoteOptions,
    formats: ['txt', 'md'],
    description: 'test kind: writes a short text file',
    run: async (ctx) => {
      rec.runs.push({ id: ctx.task.id, attempt: ctx.task.attempt, options: ctx.task.options });
      return writeNote(ctx);
    },
  };
}

/** `listen`: only takes audio (a kind that does not fit an image). */
export function audioOnlyKind(): TaskKindDefinition {
  return { ...noteKind(), kind: 'listen', accepts: ['audio'], description: 'test kind: audio only' };
}

/**
 * `gate`: reports 40 % progress, then waits until the test opens the gate for its task (or the run is
 * aborted, which it reports like a runner passing its signal to ffmpeg).
 */
export function gateKind() {
  const started = new Map<string, ReturnType<typeof deferred<RunnerContext>>>();
  const gates = new Map<string, ReturnType<typeof deferred>>();
  const aborted: { id: string; reason: unknown }[] = [];
  const entry = <T>(m: Map<string, ReturnType<typeof deferred<T>>>, id: string) => {
    let d = m.get(id);
    if (!d) {
      d = deferred<T>();
      m.set(id, d);
    }
    return d;
  };
  const def: TaskKindDefinition = {
    kind: 'gate',
    accepts: ['video', 'image', 'audio'],
    options: NoteOptions,
    description: 'test kind: waits for the test',
    run: async (ctx) => {
      ctx.progress(40, 12);
      // the engine keeps at most one write a second: these never reach the store
      for (let p = 41; p < 100; p++) ctx.progress(p);
      entry(started, ctx.task.id).resolve(ctx);
      const gate = entry(gates, ctx.task.id).promise;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          aborted.push({ id: ctx.task.id, reason: ctx.signal.reason });
          reject(new Error('ffmpeg was killed'));
        };
        if (ctx.signal.aborted) return onAbort();
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        gate.then(() => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
      return writeNote(ctx);
    },
  };
  return {
    def,
    aborted,
    started: (id: string) => entry(started, id).promise,
    open: (id: string) => entry(gates, id).resolve(undefined),
  };
}

/** `flaky`: the first `failures` runs of each task fail (transient, or permanent), later ones write a note. */
export function flakyKind(failures: number, permanent = false, kind = 'flaky'): TaskKindDefinition {
  const runs = new Map<string, number>();
  return {
    kind,
    accepts: ['video', 'image', 'audio'],
    options: NoteOptions,
    description: 'test kind: fails at first',
    run: async (ctx) => {
      const n = (runs.get(ctx.task.id) ?? 0) + 1;
      runs.set(ctx.task.id, n);
      if (n <= failures) {
        if (permanent) throw new PermanentTaskError(`The note cannot be written (run ${n}).`);
        throw new Error(`the disk hiccuped in /tmp/mediary/x (run ${n})`);
      }
      return writeNote(ctx);
    },
  };
}

/** Counts how many of its runs overlap at once (per project), holding each run for `ms`. */
export function busyKind(stats: { running: Map<string, number>; max: number }, ms = 15): TaskKindDefinition {
  return {
    kind: 'busy',
    accepts: ['video', 'image', 'audio'],
    options: NoteOptions,
    description: 'test kind: overlaps are counted',
    run: async (ctx) => {
      const p = ctx.task.projectId;
      const now = (stats.running.get(p) ?? 0) + 1;
      stats.running.set(p, now);
      stats.max = Math.max(stats.max, now);
      try {
        await new Promise((r) => setTimeout(r, ms));
        return await writeNote(ctx);
      } finally {
        stats.running.set(p, (stats.running.get(p) ?? 1) - 1);
      }
    },
  };
}
