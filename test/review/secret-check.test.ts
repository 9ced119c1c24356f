// Hostile review 5.6: every node on one database holds the same secret, or it refuses to start naming
// MEDIARY_SECRET (it used to start, serve reads, then answer 500 to POST /signatures and never sign webhooks).
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';
import { databaseUrlFor } from '../helpers/app.js';

async function node(databaseUrl: string, secret?: string, dataDir?: string) {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'mediary-node-')));
  const config = loadConfig({
    MEDIARY_DATA_DIR: dir,
    MEDIARY_DATABASE_URL: databaseUrl,
    MEDIARY_LOG_LEVEL: 'silent',
    MEDIARY_WORKER_CONCURRENCY: '0',
    ...(secret ? { MEDIARY_SECRET: secret } : {}),
  });
  return { dir, ctx: () => createContext(config) };
}

describe.skipIf(!process.env.MEDIARY_TEST_DATABASE_URL)('one secret per database (postgres)', () => {
  it('a node with another secret, or none, refuses to start; one with the same secret starts', async () => {
    const { url } = databaseUrlFor('postgres', '');
    const first = await (await node(url, 'the-cluster-secret')).ctx();
    const { createdKey } = await first.projects.bootstrap();
    expect(createdKey).toBeTruthy();

    await expect((await node(url, 'another-secret')).ctx()).rejects.toThrow(/MEDIARY_SECRET/);
    const bare = await node(url);
    await expect(bare.ctx()).rejects.toThrow(/MEDIARY_SECRET is not set/);
    // no per-node secret was generated for a database that has one
    expect(existsSync(join(bare.dir, 'secret.key'))).toBe(false);

    const second = await (await node(url, 'the-cluster-secret')).ctx();
    expect(second.box.open(first.box.seal('sealed by the first node'))).toBe('sealed by the first node');
    await second.close();
    await first.close();
  });

  it('the first node may generate the secret; a node with its data dir starts, one without refuses', async () => {
    const { url } = databaseUrlFor('postgres', '');
    const a = await node(url);
    const first = await a.ctx();
    expect(existsSync(join(a.dir, 'secret.key'))).toBe(true);
    await first.close();
    const again = await (await node(url, undefined, a.dir)).ctx();
    await again.close();
    await expect((await node(url)).ctx()).rejects.toThrow(/MEDIARY_SECRET/);
  });
});

describe('one secret per database (sqlite)', () => {
  it('unchanged: a secret is generated into the data dir and used again on restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mediary-node-'));
    const url = `sqlite://${join(dir, 'db.sqlite')}`;
    const a = await (await node(url, undefined, dir)).ctx();
    await a.projects.bootstrap();
    await a.close();
    expect(existsSync(join(dir, 'secret.key'))).toBe(true);
    const b = await (await node(url, undefined, dir)).ctx();
    await b.close();
    // a changed MEDIARY_SECRET would break every sealed key: refused too
    await expect((await node(url, 'changed', dir)).ctx()).rejects.toThrow(/MEDIARY_SECRET/);
  });
});
