// The house plan, checked: reads every import in src/ and fails on a layer violation or a cycle, so the
// shape in docs/architecture.md stays true as the code grows.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** The layer of a file: its top folder under src/, or the root module's name (config, app-context). */
function layerOf(file: string): string {
  const rel = relative(SRC, file);
  const parts = rel.split('/');
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

/** What each layer may import from the project (besides itself). Entry points may import anything. */
const ALLOWED: Record<string, string[] | '*'> = {
  cli: '*',
  'app-context': '*',
  http: ['services', 'lib', 'config', 'blobs', 'app-context'],
  worker: ['services', 'lib', 'config'],
  services: ['runners', 'store', 'blobs', 'media', 'net', 'lib', 'config', 'ai'],
  runners: ['media', 'ai', 'lib', 'config'],
  ai: ['media', 'net', 'lib', 'config'],
  store: ['lib', 'config'],
  blobs: ['lib', 'config'],
  media: ['lib', 'config'],
  net: ['lib', 'config'],
  lib: [],
  config: ['lib'],
};

/** Packages only one layer may import: the database drivers, the process spawner, the image library. */
const OWNED_PACKAGES: Record<string, string[]> = {
  pg: ['store'],
  'better-sqlite3': ['store'],
  kysely: ['store'],
  'node:child_process': ['media'],
  child_process: ['media'],
  sharp: ['media'],
  fastify: ['http', 'cli'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Import {
  from: string;
  specifier: string;
  /** the resolved file for a relative import */
  target?: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const specifier = m[1];
      const target = specifier.startsWith('.')
        ? resolve(dirname(file), specifier).replace(/\.js$/, '.ts')
        : undefined;
      found.push({ from: file, specifier, target });
    }
  }
  return found;
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);
const rel = (f: string) => relative(SRC, f);

describe('architecture', () => {
  it('reads the source tree', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.length).toBeGreaterThan(200);
    // every relative import resolves to a file the scan knows (else a rule below could be silently skipped)
    const known = new Set(files);
    const unresolved = imports.filter(
      (i) => i.target && !known.has(i.target) && !i.target.endsWith('.d.ts') && !i.target.endsWith('.json'),
    );
    expect(unresolved.map((i) => `${rel(i.from)} → ${i.specifier}`)).toEqual([]);
  });

  it('imports point down the layers only', () => {
    const violations: string[] = [];
    for (const i of imports) {
      if (!i.target) continue;
      const from = layerOf(i.from);
      const to = layerOf(i.target);
      if (from === to) continue;
      const allowed = ALLOWED[from];
      if (allowed === undefined) violations.push(`${rel(i.from)}: layer "${from}" is not in the plan`);
      else if (allowed !== '*' && !allowed.includes(to)) {
        violations.push(`${rel(i.from)} imports ${to}/ (${i.specifier})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('each external tool has one owner layer', () => {
    const violations: string[] = [];
    for (const i of imports) {
      if (i.target) continue;
      const owners = OWNED_PACKAGES[i.specifier];
      if (owners && !owners.includes(layerOf(i.from)))
        violations.push(`${rel(i.from)} imports ${i.specifier}`);
    }
    expect(violations).toEqual([]);
  });

  it('only config.ts reads the environment', () => {
    // the entry point hands the environment to loadConfig(); the tool finder reads PATH as spawn() does
    const exceptions = ['config.ts', 'cli/main.ts', 'media/tools.ts'];
    const readers = files.filter(
      (f) => /process\.env\b/.test(readFileSync(f, 'utf8')) && !exceptions.includes(rel(f)),
    );
    expect(readers.map(rel)).toEqual([]);
  });

  it('no route or worker builds a service of its own', () => {
    const builders = files
      .filter((f) => ['http', 'worker'].includes(layerOf(f)))
      .filter((f) => /new\s+\w+(Service|Repository)\s*\(/.test(readFileSync(f, 'utf8')));
    expect(builders.map(rel)).toEqual([]);
  });

  it('has no import cycles', () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) {
      if (!i.target) continue;
      const list = edges.get(i.from) ?? [];
      list.push(i.target);
      edges.set(i.from, list);
    }
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (f: string) => {
      state.set(f, 1);
      stack.push(f);
      for (const t of edges.get(f) ?? []) {
        if (state.get(t) === 1) cycles.push([...stack.slice(stack.indexOf(t)), t].map(rel).join(' → '));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
