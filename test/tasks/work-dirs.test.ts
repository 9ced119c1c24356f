// Task work dirs are reused (renamed to the next task's name) instead of made and removed per task.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkDirs } from '../../src/services/work-dirs.js';

describe('work dirs', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mediary-workdirs-'));
  });
  afterEach(async () => rm(tmp, { recursive: true, force: true }));

  it('gives each run an empty dir named for its task, and reuses an emptied one', async () => {
    const dirs = new WorkDirs(tmp);
    const a = await dirs.take('task_A0000000000000001');
    expect(basename(a)).toMatch(/^task_A0000000000000001-[A-Za-z0-9]{6}$/);
    expect(await readdir(a)).toEqual([]);
    await dirs.give(a);
    // kept as a spare, under a name the sweeper knows
    const left = await readdir(tmp);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^spare-[A-Za-z0-9]+$/);
    const b = await dirs.take('task_B0000000000000002');
    expect(basename(b)).toMatch(/^task_B0000000000000002-/);
    // the same directory, renamed: nothing else in tmp
    expect(await readdir(tmp)).toEqual([basename(b)]);
  });

  it('removes a dir the run left files in, and never hands out a dir with files', async () => {
    const dirs = new WorkDirs(tmp);
    const a = await dirs.take('task_A0000000000000001');
    await mkdir(join(a, 'hls'));
    await writeFile(join(a, 'hls', 'seg.m4s'), 'x');
    await dirs.give(a);
    expect(await readdir(tmp)).toEqual([]);
    const b = await dirs.take('task_B0000000000000002');
    expect(await readdir(b)).toEqual([]);
  });

  it('makes a new dir when its spare was swept away meanwhile', async () => {
    const dirs = new WorkDirs(tmp);
    await dirs.give(await dirs.take('task_A0000000000000001'));
    const [spare] = await readdir(tmp);
    await rm(join(tmp, spare), { recursive: true });
    const b = await dirs.take('task_B0000000000000002');
    expect(await readdir(tmp)).toEqual([basename(b)]);
  });

  it('keeps at most `keep` spares', async () => {
    const dirs = new WorkDirs(tmp, 2);
    const taken = await Promise.all([1, 2, 3].map((i) => dirs.take(`task_${i}000000000000000`)));
    for (const d of taken) await dirs.give(d);
    expect((await readdir(tmp)).filter((n) => n.startsWith('spare-'))).toHaveLength(2);
  });
});
