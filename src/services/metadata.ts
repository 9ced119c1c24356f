import { invalid } from '../lib/errors.js';

export type Metadata = Record<string, string | number | boolean | null>;

/** Shallow merge (spec §5.1): given keys are set, a key set to null is removed. */
export function mergeMetadata(current: string | null, patch: Metadata | null | undefined): string | null {
  if (patch === undefined) return current;
  if (patch === null) return null;
  const base = current ? (JSON.parse(current) as Metadata) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = v;
  }
  return Object.keys(base).length ? JSON.stringify(base) : null;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text every store keeps as given: no NUL, no unpaired UTF-16 surrogate. */
export function storableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

export function checkMetadata(m: unknown): Metadata | undefined {
  if (m === undefined || m === null) return undefined;
  if (typeof m !== 'object' || Array.isArray(m)) throw invalid('metadata must be an object');
  const entries = Object.entries(m as Record<string, unknown>);
  if (entries.length > 100) throw invalid('metadata may hold at most 100 keys');
  for (const [k, v] of entries) {
    if (k.length > 100) throw invalid('metadata keys are at most 100 characters');
    if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) {
      throw invalid(`metadata.${k} must be a string, number, boolean or null`);
    }
    if (typeof v === 'string' && v.length > 2000)
      throw invalid(`metadata.${k} is longer than 2000 characters`);
    // PostgreSQL refuses NUL in text (a 500 there, stored as-is on SQLite); a lone surrogate is no text at all
    if (!storableText(k) || (typeof v === 'string' && !storableText(v))) {
      throw invalid(`metadata.${JSON.stringify(k).slice(1, -1)} holds a NUL character or a lone surrogate`);
    }
  }
  return m as Metadata;
}
