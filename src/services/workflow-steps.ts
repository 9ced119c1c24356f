// Workflow steps (spec §4.6, §6.5–6.7): checked when they are written (an automation, a workflow task), so a
// run never meets a step it cannot start. Steps are stored and returned verbatim; only `subtitle` is read as
// `subtitles`. A step is `{kind, ref?, next?: Step[], ...options of that kind}`.
import { AppError } from '../lib/errors.js';
import type { TaskKindRegistry } from '../runners/registry.js';
import { validateOptions } from './task-options.js';

export const MAX_STEP_DEPTH = 8;
export const MAX_STEPS = 50;

/** Keys of a step that are the workflow's, not the kind's options. */
const STEP_KEYS = new Set(['kind', 'next', 'next_']);

/** Kinds a step may not be: they take a URL or manage steps themselves. */
const NOT_A_STEP = new Set(['workflow', 'ingest']);

export type Step = Record<string, unknown> & { kind: string; next?: Step[] };

/** A step's next steps; Ruby's SDK sends them as `next_`. */
export function stepNext(step: Step): Step[] | undefined {
  return (step.next ?? (step as { next_?: Step[] }).next_) as Step[] | undefined;
}

export function stepKind(kind: string): string {
  return kind === 'subtitle' ? 'subtitles' : kind;
}

/** The options a step's task gets: everything but `kind` and `next`. */
export function stepOptions(step: Step): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step)) if (!STEP_KEYS.has(k)) out[k] = v;
  return out;
}

function bad(path: string, message: string): AppError {
  return new AppError('option_invalid', `${path}: ${message}`);
}

/**
 * Validates a list of steps (throws a 400 naming the step's path, e.g. `workflow[1].next[0].width`) and
 * returns it unchanged. `field` names the list in messages.
 */
export function validateSteps(steps: unknown, kinds: TaskKindRegistry, field = 'workflow'): Step[] {
  let count = 0;
  const walk = (list: unknown, path: string, depth: number): void => {
    if (!Array.isArray(list)) throw bad(path, 'must be a list of steps.');
    if (depth > MAX_STEP_DEPTH) {
      throw bad(path, `steps are nested more than ${MAX_STEP_DEPTH} deep; flatten the workflow.`);
    }
    for (const [i, step] of list.entries()) {
      const at = `${path}[${i}]`;
      count++;
      if (count > MAX_STEPS) throw bad(at, `a workflow has at most ${MAX_STEPS} steps.`);
      if (!step || typeof step !== 'object' || Array.isArray(step))
        throw bad(at, 'a step must be an object.');
      const s = step as Record<string, unknown>;
      if (typeof s.kind !== 'string' || s.kind === '') throw bad(`${at}.kind`, 'every step needs a "kind".');
      const kind = stepKind(s.kind);
      const def = kinds.get(kind);
      if (!def || NOT_A_STEP.has(kind)) {
        const usable = kinds
          .names()
          .filter((k) => !NOT_A_STEP.has(k))
          .join(', ');
        throw bad(
          `${at}.kind`,
          `unknown step kind ${JSON.stringify(s.kind).slice(0, 60)}; step kinds are ${usable}.`,
        );
      }
      validateOptions(def, stepOptions(s as Step), at, false);
      const next = stepNext(s as Step);
      if (next !== undefined && next !== null) walk(next, `${at}.next`, depth + 1);
    }
  };
  walk(steps, field, 1);
  if (count === 0) throw bad(field, 'needs at least one step.');
  return steps as Step[];
}

/** The URLs of a workflow's http steps, for the SSRF check when it is written. */
export function stepUrls(steps: Step[]): string[] {
  const out: string[] = [];
  const walk = (list: Step[]) => {
    for (const s of list) {
      if (stepKind(s.kind) === 'http' && typeof s.url === 'string') out.push(s.url);
      const next = stepNext(s);
      if (Array.isArray(next)) walk(next);
    }
  };
  walk(steps);
  return out;
}
