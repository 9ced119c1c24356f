// GET /files/{id}'s read on SQLite takes the row as an array and builds the object itself (media.repository
// FILE_COLUMNS): the same row as `select *`, and a column the list does not know is never dropped.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AppContext, createContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config.js';
import { MediaRepository } from '../../src/store/media.repository.js';

describe('the hot file read (sqlite)', () => {
  let dataDir: string;
  let ctx: AppContext;
  let file: { id: string; project_id: string };
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mediary-file-read-'));
    const key = 'mediary_test_key_file_read_0123456789';
    ctx = await createContext(
      loadConfig({ MEDIARY_DATA_DIR: dataDir, MEDIARY_LOG_LEVEL: 'silent', MEDIARY_INITIAL_API_KEY: key }),
    );
    await ctx.projects.bootstrap(key);
    const auth = (await ctx.projects.authenticate(key))!;
    const png = join(dataDir, 'in.png');
    await sharp({ create: { width: 8, height: 8, channels: 4, background: '#ff000080' } })
      .png()
      .toFile(png);
    const row = await ctx.ingest.ingestLocalFile(auth, png, { createdBy: auth.keyId });
    await ctx.store.db
      .updateTable('files')
      .set({ metadata: '{"a":1}', label: 'l', ref: 'r', folder: 'f' })
      .where('id', '=', row.id)
      .execute();
    file = { id: row.id, project_id: auth.projectId };
  });
  const selectAll = (id: string) =>
    ctx.store.db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  afterEach(async () => {
    await ctx.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reads the very row `select *` reads, every column in its place', async () => {
    const all = await selectAll(file.id);
    const fast = await ctx.repos.media.getFile(file.project_id, file.id);
    expect(fast).toStrictEqual({ ...all });
    expect(Object.keys(fast!)).toHaveLength(Object.keys(all).length);
    expect(await ctx.repos.media.getFile('proj_other', file.id)).toBeUndefined();
  });

  it("writes a task's outputs in a transaction as the query builder would", async () => {
    const all = await selectAll(file.id);
    const copy = { ...all, id: 'file_CopyOfTheRow00001', path: 'copy.png', blob_key: null };
    await ctx.store.db.transaction().execute((trx) => ctx.repos.media.insertFiles([copy], trx));
    const back = await ctx.repos.media.getFile(file.project_id, copy.id);
    expect(back).toStrictEqual(copy);
  });

  it("inside a flow's own transaction reads that transaction's rows, the same row the builder reads", async () => {
    const all = await selectAll(file.id);
    const copy = { ...all, id: 'file_CopyOfTheRow00002', path: 'copy2.png', blob_key: null };
    await expect(
      ctx.store.db.transaction().execute(async (trx) => {
        await ctx.repos.media.insertFiles([copy], trx);
        const inTx = await ctx.repos.media.getFile(file.project_id, copy.id, trx);
        expect(inTx).toStrictEqual(copy);
        expect(await ctx.repos.media.getFile('proj_other', copy.id, trx)).toBeUndefined();
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await ctx.repos.media.getFile(file.project_id, copy.id)).toBeUndefined();
  });

  it('falls back to reading every column when the table has one the list does not know', async () => {
    await sql`alter table files add column extra text default 'kept'`.execute(ctx.store.db);
    const repo = new MediaRepository(ctx.store.db, ctx.store.sqlite);
    const row = (await repo.getFile(file.project_id, file.id)) as Record<string, unknown> | undefined;
    expect(row?.extra).toBe('kept');
    expect(row?.id).toBe(file.id);
  });

  it("never reads another flow's uncommitted change: while a transaction is open it waits like the builder", async () => {
    let during: Promise<unknown> | undefined;
    await expect(
      ctx.store.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('files')
          .set({ filename: 'uncommitted.png' })
          .where('id', '=', file.id)
          .execute();
        // another request reads the file meanwhile; the transaction then rolls back
        during = ctx.repos.media.getFile(file.project_id, file.id);
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const seen = (await during) as { filename: string | null } | undefined;
    expect(seen?.filename).not.toBe('uncommitted.png');
    expect(seen?.filename).toBe((await selectAll(file.id)).filename);
  });
});
