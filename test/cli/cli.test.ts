// The `mediary` executable as a user runs it: first start, keys and projects commands, restart.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsRequest } from '../helpers/app.js';
import { cli } from '../helpers/cli.js';

let dataDir: string;
const env = () => ({ ...process.env, MEDIARY_DATA_DIR: dataDir, MEDIARY_LOG_LEVEL: 'warn' });

const { mediary, start, stop } = cli(env);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mediary-cli-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('mediary start', () => {
  it('first start creates projects and prints a working key once; a restart reuses key and certificate', async () => {
    const first = await start();
    const key = /^\s+(mediary_[A-Za-z0-9]{48})$/m.exec(first.output)?.[1];
    expect(key).toBeDefined();
    expect(first.output).toContain('development');
    const cert = await readFile(join(dataDir, 'tls', 'cert.pem'), 'utf8');
    const res = await httpsRequest(`https://127.0.0.1:${first.apiPort}/media`, cert, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect(res.json.meta.project_id).toMatch(/^prj_/);
    await stop(first);

    const second = await start();
    expect(second.output).not.toMatch(/mediary_[A-Za-z0-9]{48}/);
    expect(await readFile(join(dataDir, 'tls', 'cert.pem'), 'utf8')).toBe(cert);
    const again = await httpsRequest(`https://127.0.0.1:${second.apiPort}/media`, cert, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(again.status).toBe(200);
    await stop(second);
  });
});

describe('admin commands', () => {
  it('projects list and create', async () => {
    const before = JSON.parse(await mediary('projects', 'list', '--json'));
    expect(before.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['development', 'production']),
    );
    const created = JSON.parse(await mediary('projects', 'create', 'staging', '--json'));
    expect(created).toMatchObject({ name: 'staging' });
    expect(created.id).toMatch(/^prj_/);
    await expect(mediary('projects', 'create', 'staging')).rejects.toThrow(/already exists/);
  });

  it('keys create --json, list (no secrets), revoke', async () => {
    const key = JSON.parse(await mediary('keys', 'create', '--project', 'staging', '--json'));
    expect(key.id).toMatch(/^key_/);
    expect(key.key).toMatch(/^mediary_/);
    expect(key.project_id).toMatch(/^prj_/);
    const list = await mediary('keys', 'list', '--json');
    expect(list).toContain(key.id);
    expect(list).not.toContain(key.key);
    expect(await mediary('keys', 'revoke', key.id)).toContain('revoked');
    const after = JSON.parse(await mediary('keys', 'list', '--project', 'staging', '--json'));
    expect(after.find((k: { id: string }) => k.id === key.id).status).toMatch(/^revoked/);
    await expect(mediary('keys', 'create', '--project', 'nope')).rejects.toThrow(/not found/);
  });

  it('keys are stored hashed and sealed, never in plain text', async () => {
    const key = JSON.parse(await mediary('keys', 'create', '--project', 'development', '--json'));
    const db = await readFile(join(dataDir, 'mediary.db'));
    const wal = await readFile(join(dataDir, 'mediary.db-wal')).catch(() => Buffer.alloc(0));
    expect(db.includes(key.key)).toBe(false);
    expect(wal.includes(key.key)).toBe(false);
  });

  it('bad configuration stops with a message naming the variable', async () => {
    await expect(
      cli(() => ({ ...env(), MEDIARY_PORT: 'eighty' })).mediary('projects', 'list'),
    ).rejects.toThrow(/MEDIARY_PORT/);
  });
});
