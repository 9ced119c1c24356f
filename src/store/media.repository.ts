import type SQLite from 'better-sqlite3';
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
  type Transaction,
} from 'kysely';
import type { CommitWatch } from './commit-watch.js';
import { bindable, hotStatement } from './db.js';
import { HotRows } from './hot-rows.js';
import { type Page, paginate } from './paginate.js';
import type { Database, FilesTable, MediaTable } from './schema.js';

export type MediaRow = MediaTable;
export type FileRow = FilesTable;
type Db = Kysely<Database> | Transaction<Database>;

/**
 * GET /media filters (docs/webapp.md). A media's kind, folder and filename are its original's: the file
 * marked original, else its oldest source (as serializers.media picks it). Dates are ISO strings, exclusive.
 */
export interface MediaFilter {
  /** contained, case-insensitive, in the title, the alt, the metadata JSON or a source file's filename */
  q?: string;
  kind?: string;
  /** the original's folder exactly (null: the root) … */
  folder?: string | null;
  /** … or anything at or under this folder */
  folderPrefix?: string;
  createdAfter?: string;
  createdBefore?: string;
}

/** `%`, `_` and the escape character itself matched literally in a LIKE … ESCAPE '\\' pattern. */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// biome-ignore lint/complexity/noBannedTypes: a query that selects nothing yet
type MediaQuery = SelectQueryBuilder<Database, 'media', {}>;

/** A column of the media's original file, as a scalar subquery (files(project_id, media_id) finds them). */
function originalColumn(eb: ExpressionBuilder<Database, 'media'>, column: 'kind' | 'folder' | 'filename') {
  return eb
    .selectFrom('files as o')
    .select(`o.${column}` as 'o.kind')
    .whereRef('o.project_id', '=', 'media.project_id')
    .whereRef('o.media_id', '=', 'media.id')
    .where('o.object', '=', 'source')
    .orderBy('o.original', 'desc')
    .orderBy('o.created', 'asc')
    .orderBy('o.id', 'asc')
    .limit(1);
}

/** A filtered GET /media counts at most this many matches (docs/webapp.md). */
export const FILTERED_COUNT_CAP = 1000;

/** The files table's columns, for the hot read that takes rows as arrays (see fileRowOf). */
const FILE_COLUMNS = [
  'id',
  'project_id',
  'media_id',
  'object',
  'kind',
  'type',
  'codec',
  'container',
  'width',
  'height',
  'orientation',
  'rotation',
  'transparency',
  'animated',
  'frames',
  'duration',
  'fps',
  'filesize',
  'bitrate',
  'language',
  'label',
  'ref',
  'folder',
  'filename',
  'path',
  'placeholder',
  'background',
  'metadata',
  'original',
  'created_by',
  'blob_key',
  'status',
  'created',
  'updated',
] as const;
type FileColumns = typeof FILE_COLUMNS;
type FileRowArray = {
  -readonly [K in keyof FileColumns]: FileColumns[K] extends keyof FileRow ? FileRow[FileColumns[K]] : never;
};

/**
 * A row read as an array, made an object by one literal: better-sqlite3 builds row objects property by
 * property (34 of them here), which costs more than the read itself; a literal gets one fixed shape.
 */
function fileRowOf(a: FileRowArray): FileRow {
  return {
    id: a[0],
    project_id: a[1],
    media_id: a[2],
    object: a[3],
    kind: a[4],
    type: a[5],
    codec: a[6],
    container: a[7],
    width: a[8],
    height: a[9],
    orientation: a[10],
    rotation: a[11],
    transparency: a[12],
    animated: a[13],
    frames: a[14],
    duration: a[15],
    fps: a[16],
    filesize: a[17],
    bitrate: a[18],
    language: a[19],
    label: a[20],
    ref: a[21],
    folder: a[22],
    filename: a[23],
    path: a[24],
    placeholder: a[25],
    background: a[26],
    metadata: a[27],
    original: a[28],
    created_by: a[29],
    blob_key: a[30],
    status: a[31],
    created: a[32],
    updated: a[33],
  };
}

function fileRowFrom(a: FileRowArray | undefined): FileRow | undefined {
  return a && fileRowOf(a);
}

export class MediaRepository {
  private readonly fileById?: SQLite.Statement<[string, string], FileRowArray>;
  private readonly hotFiles?: HotRows<FileRow>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite?: SQLite.Database,
    /** SQLite in a file: file rows read outside transactions are kept while nothing is committed */
    commits?: CommitWatch,
  ) {
    // GET /files/{id} is the hottest read; on SQLite it skips the query builder's per-call compile and
    // async connection handoff (the statement runs synchronously; better-sqlite3 caches nothing itself)
    const columns = sqlite?.pragma('table_info(files)') as { name: string }[] | undefined;
    // a column this list does not know (a newer migration) would be dropped: then the query builder reads
    const known =
      columns?.length === FILE_COLUMNS.length && columns.every((c) => FILE_COLUMNS.includes(c.name as never));
    this.fileById = !known
      ? undefined
      : sqlite
          ?.prepare<[string, string], FileRowArray>(
            `select ${FILE_COLUMNS.join(', ')} from files where project_id = ? and id = ?`,
          )
          .raw(true);
    this.hotFiles = this.fileById && commits ? new HotRows<FileRow>(commits) : undefined;
  }

  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insertMedia(row: MediaRow, db: Db = this.db): Promise<void> {
    await db.insertInto('media').values(row).execute();
  }

  async getMedia(projectId: string, id: string, db: Db = this.db): Promise<MediaRow | undefined> {
    return db
      .selectFrom('media')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * A page by number and the count of matches. Without q/kind/folder the count is exact (an index-only
   * count); with them it stops at FILTERED_COUNT_CAP (`capped`), since an exact count would test every
   * media of a large library on each request.
   */
  async listMedia(
    projectId: string,
    page: Page,
    filter: MediaFilter = {},
  ): Promise<{ rows: MediaRow[]; total: number; capped: boolean }> {
    const query = this.filtered(projectId, filter);
    if (
      filter.q === undefined &&
      filter.kind === undefined &&
      filter.folder === undefined &&
      filter.folderPrefix === undefined
    ) {
      return { ...(await paginate(query, page)), capped: false };
    }
    const rows = await query
      .selectAll()
      .orderBy('media.created', 'desc')
      .orderBy('media.id', 'desc')
      .limit(page.limit)
      .offset((page.page - 1) * page.limit)
      .execute();
    const counted = await this.db
      .selectFrom(
        query
          .select('media.id')
          .limit(FILTERED_COUNT_CAP + 1)
          .as('m'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const n = Number(counted.n);
    return { rows, total: Math.min(n, FILTERED_COUNT_CAP), capped: n > FILTERED_COUNT_CAP };
  }

  /**
   * The page after the media `afterId`, newest first (keyset on created, id: as fast on the last page as on
   * the first), and whether more follow. No total is counted. undefined when `afterId` is not a media of
   * the project.
   */
  async listMediaAfter(
    projectId: string,
    afterId: string,
    limit: number,
    filter: MediaFilter = {},
  ): Promise<{ rows: MediaRow[]; hasMore: boolean } | undefined> {
    const anchor = await this.getMedia(projectId, afterId);
    if (!anchor) return undefined;
    const rows = await this.filtered(projectId, filter)
      // a row value: both databases walk media(project_id, created, id) from the anchor
      .where((eb) => eb(eb.refTuple('media.created', 'media.id'), '<', eb.tuple(anchor.created, anchor.id)))
      .selectAll()
      .orderBy('media.created', 'desc')
      .orderBy('media.id', 'desc')
      .limit(limit + 1)
      .execute();
    return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  private filtered(projectId: string, f: MediaFilter): MediaQuery {
    let q: MediaQuery = this.db.selectFrom('media').where('media.project_id', '=', projectId);
    if (f.createdAfter !== undefined) q = q.where('media.created', '>', f.createdAfter);
    if (f.createdBefore !== undefined) q = q.where('media.created', '<', f.createdBefore);
    if (f.kind !== undefined) {
      const kind = f.kind;
      q = q.where((eb) => eb(originalColumn(eb, 'kind'), '=', kind));
    }
    if (f.folder !== undefined) {
      const folder = f.folder;
      q = q.where((eb) =>
        folder === null
          ? eb(originalColumn(eb, 'folder'), 'is', null)
          : eb(originalColumn(eb, 'folder'), '=', folder),
      );
    }
    if (f.folderPrefix !== undefined) {
      const prefix = f.folderPrefix;
      const under = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
      q = q.where((eb) =>
        eb.or([
          eb(originalColumn(eb, 'folder'), '=', prefix),
          sql<boolean>`${originalColumn(eb, 'folder')} like ${under} escape '\\'`,
        ]),
      );
    }
    if (f.q !== undefined && f.q !== '') {
      const pattern = likeContains(f.q);
      const contains = (expr: Expression<unknown>) =>
        sql<boolean>`lower(${expr}) like ${pattern} escape '\\'`;
      q = q.where((eb) =>
        eb.or([
          contains(sql.ref('media.title')),
          contains(sql.ref('media.alt')),
          contains(sql.ref('media.metadata')),
          // any source file's name: one pass over the project's files rather than a probe per media row
          // (a rare word scans the whole library either way; this way costs a third)
          eb(
            'media.id',
            'in',
            this.db
              .selectFrom('files as n')
              .select('n.media_id')
              .where('n.project_id', '=', projectId)
              .where('n.object', '=', 'source')
              .where(sql<SqlBool>`lower(${sql.ref('n.filename')}) like ${pattern} escape '\\'`),
          ),
        ]),
      );
    }
    return q;
  }

  async updateMedia(
    projectId: string,
    id: string,
    patch: Partial<MediaRow>,
    db: Db = this.db,
  ): Promise<boolean> {
    const keys = Object.keys(patch).filter((k) => patch[k as keyof MediaRow] !== undefined);
    // in a transaction on SQLite (a task touching its media as it finishes): prepared once per column set
    const values = keys.map((k) => patch[k as keyof MediaRow]);
    const hot =
      keys.length > 0 && keys.every((k) => /^[a-z_]+$/.test(k)) && bindable(values)
        ? hotStatement(
            this.sqlite,
            db,
            `update media set ${keys.map((k) => `${k} = ?`).join(', ')} where project_id = ? and id = ?`,
          )
        : undefined;
    if (hot) {
      return hot.run([...values, projectId, id]).changes > 0;
    }
    const res = await db
      .updateTable('media')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async deleteMedia(projectId: string, id: string, db: Db = this.db): Promise<void> {
    await db.deleteFrom('files').where('project_id', '=', projectId).where('media_id', '=', id).execute();
    await db.deleteFrom('media').where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  async insertFile(row: FileRow, db: Db = this.db): Promise<void> {
    await db.insertInto('files').values(row).execute();
  }

  /** Several rows, a statement per hundred (SQLite allows 32766 bound values in one). */
  async insertFiles(rows: FileRow[], db: Db = this.db): Promise<void> {
    // a task's outputs, in its finishing transaction: one prepared insert per row when every column is
    // given (a column left out must get its default, which only the builder's insert gives it)
    const hot = this.fileById
      ? hotStatement(
          this.sqlite,
          db,
          `insert into files (${FILE_COLUMNS.join(', ')}) values (${FILE_COLUMNS.map(() => '?').join(', ')})`,
        )
      : undefined;
    if (hot && rows.every((r) => FILE_COLUMNS.every((c) => r[c] !== undefined))) {
      for (const r of rows) hot.run(FILE_COLUMNS.map((c) => r[c]));
      return;
    }
    for (let i = 0; i < rows.length; i += 100) {
      await db
        .insertInto('files')
        .values(rows.slice(i, i + 100))
        .execute();
    }
  }

  async getFile(projectId: string, id: string, db: Db = this.db): Promise<FileRow | undefined> {
    // straight on the connection when no transaction is open on it (see committedRead in db.ts), or
    // inside the caller's own transaction, whose connection it is (see hotStatement)
    const byId = this.fileById;
    if (byId && (db === this.db ? !this.sqlite?.inTransaction : db.isTransaction)) {
      // a committed read (no transaction of ours is open on the connection) may come from memory. The
      // closure is passed, not named: the TypeScript loader wraps every named function it sees created
      // (keepNames), a defineProperty per request
      if (db === this.db && this.hotFiles) {
        return this.hotFiles.get(`${projectId}\u0000${id}`, () => fileRowFrom(byId.get(projectId, id)));
      }
      return fileRowFrom(byId.get(projectId, id));
    }
    return db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  listFiles(projectId: string, page: Page): Promise<{ rows: FileRow[]; total: number }> {
    return paginate(this.db.selectFrom('files').where('project_id', '=', projectId), page);
  }

  /** Files of several media, oldest first (so a newer file with the same ref wins in `urls`). */
  async filesOfMedia(projectId: string, mediaIds: string[], db: Db = this.db): Promise<FileRow[]> {
    if (mediaIds.length === 0) return [];
    return db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('media_id', 'in', mediaIds)
      .orderBy('created', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  async updateFile(projectId: string, id: string, patch: Partial<FileRow>, db: Db = this.db): Promise<void> {
    await db
      .updateTable('files')
      .set(patch)
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .execute();
  }

  async deleteFile(projectId: string, id: string, db: Db = this.db): Promise<void> {
    await db.deleteFrom('files').where('project_id', '=', projectId).where('id', '=', id).execute();
  }

  /**
   * Marks the media's first file as announced; true only for the one caller that did (two first files
   * written at once: the second waits for the first's row lock, then finds it set).
   */
  async announce(projectId: string, id: string, at: string, db: Db = this.db): Promise<boolean> {
    const hot = hotStatement(
      this.sqlite,
      db,
      'update media set announced = ? where project_id = ? and id = ? and announced is null',
    );
    if (hot) return hot.run(at, projectId, id).changes === 1;
    const res = await db
      .updateTable('media')
      .set({ announced: at })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .where('announced', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** The newest ready file at a delivery path: a newer upload to the same path replaces what it serves. */
  async fileAtPath(projectId: string, path: string): Promise<FileRow | undefined> {
    return this.db
      .selectFrom('files')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('path', '=', path)
      .where('status', '=', 'ready')
      .orderBy('created', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
  }
}
