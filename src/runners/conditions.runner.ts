// conditions (spec §6.6): a step that checks its input and lets its `next` steps run only when every condition
// holds. `prop` is a dotted path over {file, media, task}; a bare name reads the input file (`kind`, `type`,
// `width`, `duration`, `filesize`, `metadata.x`, `media.kind`, …). `value` compares as a string with `*` as a
// wildcard (`image/*`); beyond ittybit, `operator` (eq, ne, gt, gte, lt, lte, in, glob) compares numbers and
// lists. A prop the input does not have fails its condition (it never errors).
import { Type } from '@sinclair/typebox';
import type { RunnerContext, RunResult, TaskKindDefinition } from './runner.js';

const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'glob'] as const;
type Operator = (typeof OPERATORS)[number];

const Scalar = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean(), Type.Null()]);

export const Condition = Type.Object(
  {
    prop: Type.String({ minLength: 1, maxLength: 200, description: 'dotted path over {file, media, task}' }),
    value: Type.Optional(Type.Union([Scalar, Type.Array(Scalar, { maxItems: 100 })])),
    operator: Type.Optional(
      Type.Union(
        OPERATORS.map((o) => Type.Literal(o)),
        { description: 'beyond ittybit: how prop compares to value (default: string equality with * globs)' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ConditionsTaskOptions = Type.Object(
  {
    conditions: Type.Array(Condition, { minItems: 1, maxItems: 50, description: 'all must hold' }),
  },
  { additionalProperties: false },
);

export interface ConditionSpec {
  prop: string;
  value?: unknown;
  operator?: Operator;
}

function at(root: unknown, path: string[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** The value a prop names: `file.x`, `media.x`, `task.x`, or a bare name on the file. */
export function resolveProp(subject: Record<string, unknown>, prop: string): unknown {
  const parts = prop.split('.');
  if (['file', 'media', 'task'].includes(parts[0])) return at(subject, parts);
  // `size` is an alias the docs use for filesize
  if (parts.length === 1 && parts[0] === 'size') return at(subject, ['file', 'filesize']);
  return at(subject, ['file', ...parts]);
}

function glob(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(text);
}

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export function holds(c: ConditionSpec, actual: unknown): boolean {
  if (actual === undefined) return false;
  const op = c.operator ?? 'glob';
  const want = c.value;
  switch (op) {
    case 'glob':
      return glob(str(want ?? ''), str(actual));
    case 'eq':
      return str(actual) === str(want);
    case 'ne':
      return str(actual) !== str(want);
    case 'in':
      return Array.isArray(want) && want.some((w) => str(w) === str(actual));
    default: {
      const a = Number(actual);
      const b = Number(want);
      if (!Number.isFinite(a) || !Number.isFinite(b) || actual === null || want === null) return false;
      return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
    }
  }
}

async function run(ctx: RunnerContext): Promise<RunResult> {
  const conditions = (ctx.task.options.conditions ?? []) as ConditionSpec[];
  const subject = ctx.subject ?? {};
  const passed: ConditionSpec[] = [];
  const failed: ConditionSpec[] = [];
  for (const c of conditions) (holds(c, resolveProp(subject, c.prop)) ? passed : failed).push(c);
  return { outputs: [], results: { passed, failed, continue: failed.length === 0 } };
}

export const conditionsKind: TaskKindDefinition = {
  kind: 'conditions',
  accepts: ['video', 'image', 'audio'],
  uses: ['subject'],
  options: ConditionsTaskOptions,
  description:
    'Checks the input against conditions ({prop, value, operator?}); a workflow runs the step’s next steps only when all hold. Results: {passed, failed, continue}.',
  run,
};
