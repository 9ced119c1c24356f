// Task options against a kind's TypeBox schema: validation with messages that name the option and what it
// accepts, and the option catalogue of GET /tasks-config, both read from the same schema.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppError } from '../lib/errors.js';
import type { TaskKindDefinition } from '../runners/runner.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema is untyped here; TypeBox schemas are plain JSON Schema
type Schema = Record<string, any>;

const ajv = new Ajv.default({ strict: false, allErrors: true, verbose: true, coerceTypes: false });
addFormats.default(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(def: TaskKindDefinition): ValidateFunction {
  let v = compiled.get(def.options);
  if (!v) {
    v = ajv.compile(def.options);
    compiled.set(def.options, v);
  }
  return v;
}

function optionName(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra !== undefined) parts.push(extra);
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function valueAt(root: unknown, instancePath: string): unknown {
  let v = root;
  for (const p of instancePath.split('/').filter(Boolean)) {
    v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function range(s: Schema, unit = ''): string {
  const min = s.minimum ?? s.exclusiveMinimum;
  const max = s.maximum ?? s.exclusiveMaximum;
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}${unit}`;
  if (min !== undefined) return ` of at least ${min}${unit}`;
  if (max !== undefined) return ` of at most ${max}${unit}`;
  return '';
}

/** The allowed values of a schema when it is a closed set (enum, const, or a union of those). */
export function allowedValues(s: Schema): unknown[] | null {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) {
    const out: unknown[] = [];
    for (const a of alts) {
      const vals = allowedValues(a);
      if (!vals) return null;
      out.push(...vals);
    }
    return out;
  }
  return null;
}

/** Plain words for what a schema accepts: "an integer from 1 to 100, or one of: low, high". */
export function describeSchema(s: Schema): string {
  const vals = allowedValues(s);
  if (vals) return `one of: ${vals.map((v) => (typeof v === 'string' ? v : show(v))).join(', ')}`;
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return alts.map(describeSchema).join(', or ');
  switch (s.type) {
    case 'integer':
      return `an integer${range(s)}`;
    case 'number':
      return `a number${range(s)}`;
    case 'boolean':
      return 'true or false';
    case 'string': {
      if (s.pattern && s.description) return `a string: ${s.description}`;
      if (s.pattern) return `a string matching ${s.pattern}`;
      if (s.format) return `a string in ${s.format} format`;
      const len =
        s.maxLength !== undefined
          ? ` of ${s.minLength ?? 0} to ${s.maxLength} characters`
          : s.minLength
            ? ` of at least ${s.minLength} characters`
            : '';
      return `a string${len}`;
    }
    case 'array':
      return s.items ? `a list of ${describeSchema(s.items).replace(/^an? /, '')} values` : 'a list';
    case 'object':
      return 'an object';
    case 'null':
      return 'null';
    default:
      return 'a valid value';
  }
}

/** The one error worth reporting: the outermost (a failed union names all its alternatives). */
function pickError(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const outer = Math.min(...errors.map(depth));
  const candidates = errors.filter((e) => depth(e) === outer);
  return (
    candidates.find((e) => e.keyword === 'additionalProperties' || e.keyword === 'required') ??
    candidates.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf') ??
    candidates[0]
  );
}

function describeError(
  def: TaskKindDefinition,
  options: Record<string, unknown>,
  e: ErrorObject,
  prefix = '',
): string {
  const kind = def.kind;
  const at = (name: string) => (prefix ? `${prefix}.${name}` : name);
  if (e.keyword === 'additionalProperties') {
    const name = at(optionName(e.instancePath, String(e.params.additionalProperty)));
    const props = Object.keys((e.parentSchema as Schema | undefined)?.properties ?? {});
    return `Unknown option "${name}" for ${kind} tasks; the options are: ${props.join(', ')}.`;
  }
  if (e.keyword === 'required') {
    return `Missing option "${at(optionName(e.instancePath, String(e.params.missingProperty)))}" for ${kind} tasks.`;
  }
  const name = at(optionName(e.instancePath) || 'options');
  const schema = (e.parentSchema ?? {}) as Schema;
  const got = show(valueAt(options, e.instancePath));
  const values = allowedValues(schema);
  if (values) {
    return `Invalid option "${name}" for ${kind} tasks: ${got} is not allowed; allowed values: ${values
      .map((v) => (typeof v === 'string' ? v : show(v)))
      .join(', ')}.`;
  }
  return `Invalid option "${name}" for ${kind} tasks: got ${got}; expected ${describeSchema(schema)}.`;
}

export const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** "An audio task", "A video task" */
export function aTask(kind: string): string {
  const a = article(kind);
  return `${a[0].toUpperCase()}${a.slice(1)} task`;
}

/** "an image or video input", "a url" */
export function acceptsDescription(def: TaskKindDefinition): string {
  if (def.accepts === 'url') return 'a url';
  if (def.accepts === 'none') return 'no input';
  return `${def.accepts.map(article).join(' or ')} input`;
}

/** A kind this server cannot run (an intelligence kind without its provider) is refused when a task is made. */
export function checkAvailable(def: TaskKindDefinition): void {
  const a = def.availability?.();
  if (a && !a.available) {
    throw new AppError(
      'provider_not_configured',
      `${aTask(def.kind)} cannot run on this server: ${a.reason ?? 'its provider is not configured'}.`,
    );
  }
}

/**
 * Throws AppError option_invalid (400) naming the first bad option and what it accepts, or
 * provider_not_configured (400) for a kind this server cannot run.
 */
export function validateOptions(
  def: TaskKindDefinition,
  options: Record<string, unknown>,
  /** where the options sit in a larger body, e.g. `workflow[1].next[0]`; names the option in the message */
  prefix = '',
  /**
   * false for workflow steps: an automation may name a kind whose provider is configured later; its step
   * fails with the same message if it runs before that
   */
  requireAvailable = true,
): void {
  if (requireAvailable) checkAvailable(def);
  const validate = validatorFor(def);
  if (validate(options)) return;
  const e = pickError(validate.errors ?? []);
  throw new AppError('option_invalid', describeError(def, options, e, prefix));
}

export interface OptionInfo {
  type: string;
  description?: string;
  values?: unknown[];
  min?: number;
  max?: number;
  default?: unknown;
  pattern?: string;
}

function typeName(s: Schema): string {
  if (allowedValues(s)) return typeof allowedValues(s)![0] === 'number' ? 'number' : 'string';
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return [...new Set(alts.map(typeName))].join('|');
  return s.type ?? 'any';
}

function optionInfo(s: Schema): OptionInfo {
  const info: OptionInfo = { type: typeName(s) };
  if (s.description) info.description = s.description;
  const values = allowedValues(s);
  if (values) info.values = values;
  const numeric = [s, ...((s.anyOf ?? s.oneOf ?? []) as Schema[])].find(
    (x) => x.type === 'integer' || x.type === 'number',
  );
  if (numeric && !values) {
    if (numeric.minimum !== undefined) info.min = numeric.minimum;
    if (numeric.maximum !== undefined) info.max = numeric.maximum;
  }
  const patterned = [s, ...((s.anyOf ?? s.oneOf ?? []) as Schema[])].find((x) => x.pattern);
  if (patterned) info.pattern = patterned.pattern;
  if (s.default !== undefined) info.default = s.default;
  return info;
}

export interface KindInfo {
  description: string;
  /** input media kinds; ["url"] for ingest; [] for kinds without a file input */
  inputs: string[];
  formats?: string[];
  options: Record<string, OptionInfo>;
  /** false when this server lacks the kind's provider (intelligence kinds); `reason` names the setting */
  available: boolean;
  /** the engine that would run it, for kinds that depend on one */
  provider?: string | null;
  reason?: string;
}

function availabilityInfo(def: TaskKindDefinition): Pick<KindInfo, 'available' | 'provider' | 'reason'> {
  const a = def.availability?.();
  if (!a) return { available: true };
  return { available: a.available, provider: a.provider, ...(a.reason ? { reason: a.reason } : {}) };
}

/** GET /tasks-config: every kind with its formats and options (type, range, default) from its schema. */
export function describeKinds(defs: readonly TaskKindDefinition[]): Record<string, KindInfo> {
  const out: Record<string, KindInfo> = {};
  for (const def of defs) {
    const props = ((def.options as Schema).properties ?? {}) as Record<string, Schema>;
    const options: Record<string, OptionInfo> = {};
    for (const [name, s] of Object.entries(props)) options[name] = optionInfo(s);
    out[def.kind] = {
      description: def.description,
      inputs: def.accepts === 'url' ? ['url'] : def.accepts === 'none' ? [] : [...def.accepts],
      ...(def.formats ? { formats: [...def.formats] } : {}),
      options,
      ...availabilityInfo(def),
    };
  }
  return out;
}
