// deploy/ cannot be built here (no Docker engine): check what can be. Every MEDIARY_ variable the compose
// file and the Dockerfile set is one the config reads and docs/configuration.md documents, and the commands
// they run are ones the CLI has.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig } from '../src/config.js';

const root = join(import.meta.dirname, '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

function variables(text: string): string[] {
  return [...new Set([...text.matchAll(/\b(MEDIARY_[A-Z0-9_]+)\b/g)].map((m) => m[1]))];
}

describe('deploy/', () => {
  const compose = read('deploy/compose.yaml');
  const dockerfile = read('deploy/Dockerfile');
  const config = read('src/config.ts');
  const docs = read('docs/configuration.md');

  it('sets only variables the config reads and the docs list', () => {
    const used = [...variables(compose), ...variables(dockerfile)].filter((v) => v !== 'MEDIARY_DOMAIN');
    expect(used.length).toBeGreaterThan(10);
    for (const v of used) {
      expect(config.includes(`'${v}'`) || config.includes(`.${v}`), `${v} read by src/config.ts`).toBe(true);
      expect(docs, `${v} in docs/configuration.md`).toContain(v);
    }
  });

  it('the compose environment is a valid configuration', () => {
    const env: Record<string, string> = {};
    for (const m of compose.matchAll(/^\s+(MEDIARY_[A-Z0-9_]+): (.+)$/gm)) {
      env[m[1]] = m[2].replace(/^"|"$/g, '').replace(/\$\{[^}]+\}/g, 'x');
    }
    env.MEDIARY_DATA_DIR = join(root, 'data-deploy-test');
    const c = loadConfig(env);
    expect(c.databaseUrl).toMatch(/^postgres:/);
    expect(c.trustProxy).toBe(true);
    expect(c.tasks.shutdownGraceMs).toBe(30_000);
  });

  it('runs commands the CLI has', () => {
    const main = read('src/cli/main.ts');
    for (const cmd of ['start', 'migrate']) expect(main).toContain(`'${cmd}'`);
    expect(compose).toContain('"--role", "api"');
    expect(compose).toContain('"--role", "worker"');
    expect(dockerfile).toMatch(/USER mediary/);
    expect(dockerfile).toMatch(/HEALTHCHECK/);
  });

  it('starts the server with the V8 flags of src/cli/node-flags.ts, which this node accepts', () => {
    const start = JSON.parse(read('package.json')).scripts.start as string;
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint).toBeDefined();
    const args = JSON.parse(entrypoint!) as string[];
    for (const flag of SERVER_NODE_FLAGS) {
      expect(start.split(' ').indexOf(flag), `npm start: ${flag}`).toBeGreaterThan(0);
      expect(start.split(' ').indexOf(flag)).toBeLessThan(start.split(' ').indexOf('bin/mediary.js'));
      expect(args.indexOf(flag), `Dockerfile: ${flag}`).toBeGreaterThan(0);
      expect(args.indexOf(flag)).toBeLessThan(args.indexOf('bin/mediary.js'));
    }
    // a flag node refused would stop `npm start` before it began; the young generation is what they ask for
    const probe = spawnSync(
      process.execPath,
      [
        ...SERVER_NODE_FLAGS,
        '-e',
        "const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space'); console.log(s.space_size)",
      ],
      { encoding: 'utf8' },
    );
    expect(probe.status, probe.stderr).toBe(0);
    expect(Number(probe.stdout)).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });
});
