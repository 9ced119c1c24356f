// Uploads on the delivery host (spec §9): one PUT with the whole body, chunks with Content-Range that may
// arrive in any order, in parallel and more than once, or tus. Bytes wait in the data dir; a session's state
// lives in the `uploads` table and changes only by compare-and-set on its version, so several processes
// can take chunks of the same upload and exactly one of them (the one whose chunk completes it) assembles
// and ingests the file. All three end in the same finish. The HTTP side (Content-Range, request streams,
// the tus protocol) is http/delivery's; the rules are here.
//
// Chunks are kept as separate part files, named in the session row, rather than written into one sparse
// file at their offsets: a chunk is only committed after all its bytes arrived, so a broken, rejected or
// overlapping chunk never touches bytes another request wrote, and no in-flight range needs reserving.
// The price is one sequential copy when the parts are joined.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { every } from '../lib/periodic.js';
import { isoPlus, now } from '../lib/time.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import { isUniqueViolation, type UploadRow, type UploadsRepository } from '../store/uploads.repository.js';
import type { IngestScope, IngestService } from './ingest.service.js';
import type { MetricsService } from './metrics.service.js';
import { idShapedPathProblem, joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';
import type { AuthContext } from './projects.service.js';

/** How long a repeated completing chunk waits for the request that is finishing the upload. */
const FINISH_WAIT_MS = 60_000;

/** An upload session (chunked PUT or tus) as stored. */
export type UploadSession = UploadRow;
export type { FileRow };

export interface UploadTarget {
  folder: string | null;
  filename: string;
  path: string;
}

export interface ContentRange {
  start: number;
  /** inclusive */
  end: number;
  total: number;
}

export interface BodyLimits {
  max: number;
  /** exactly this many bytes, when the client declared them */
  expected?: number;
}

/**
 * A request body as the rules see it: what the client declared, and a way to stream it to a file. The
 * streaming (sockets, a client that goes away) is the HTTP layer's; where the bytes go is decided here.
 */
export interface UploadBody {
  /** Content-Length, when the client declared one */
  declaredLength?: number;
  /** Streams the body into `dest` (null: reads and discards it) within `limits`; resolves to its size. */
  saveTo(dest: string | null, limits: BodyLimits): Promise<number>;
}

/** What a tus creation was granted: the project, the key (or signature's key) and the target. */
export interface TusGrant extends UploadTarget {
  projectId: string;
  keyId: string;
}

export type ChunkResult =
  | { status: 202; upload: UploadSession }
  | { status: 201 | 200; upload: UploadSession; file: FileRow };

type Chunk = [start: number, end: number, part: string];

/** Folder and filename from a delivery path's segments; the same sanitising as the API's (paths.ts). */
export function uploadTarget(segments: string[]): UploadTarget {
  const filename = sanitizeFilename(segments[segments.length - 1] ?? '');
  if (!filename) {
    throw new AppError(
      'request_invalid',
      'The upload URL must end in a filename, e.g. /prj_…/folder/video.mp4.',
    );
  }
  const folder = sanitizeFolder(segments.slice(0, -1).join('/'));
  const path = joinPath(folder, filename);
  const problem = idShapedPathProblem(path);
  if (problem) throw new AppError('request_invalid', problem);
  return { folder, filename, path };
}

export function uploadTooLarge(limit: number): AppError {
  return new AppError(
    'payload_too_large',
    `The upload is larger than this server accepts (${limit} bytes, MEDIARY_MAX_UPLOAD_BYTES).`,
  );
}

function rand(): string {
  return randomBytes(6).toString('hex');
}

/** The end of every upload: whose File the bytes become, and the session that claimed the finish, if any. */
interface Finish {
  scope: IngestScope;
  folder: string | null;
  filename: string;
  createdBy: string;
  /** a chunked or tus session, already moved to "finishing" by this caller's compare-and-set */
  session?: UploadSession;
  /** the complete bytes on local disk: received, assembled from parts, or where tus wrote them */
  bytes: () => Promise<string>;
}

export class UploadsService {
  readonly uploadsDir: string;
  readonly tmpDir: string;
  /** tus bytes, one file per upload id (written by the tus FileStore in http/delivery) */
  readonly tusDir: string;
  private readonly ttlMs: number;

  constructor(
    private readonly config: Config,
    private readonly repo: UploadsRepository,
    private readonly media: MediaRepository,
    private readonly ingest: IngestService,
    private readonly metrics?: MetricsService,
  ) {
    this.tmpDir = join(config.dataDir, 'tmp');
    this.uploadsDir = join(this.tmpDir, 'uploads');
    this.tusDir = join(this.tmpDir, 'tus');
    this.ttlMs = config.limits.uploadTtlSeconds * 1000;
  }

  get limit(): number {
    return this.config.limits.uploadBytes;
  }

  /** Refuses what is too large or empty before a byte is read. */
  checkDeclared(declaredLength: number | undefined, total?: number): void {
    if (total !== undefined && total > this.limit) throw uploadTooLarge(this.limit);
    if (declaredLength !== undefined && declaredLength > this.limit) throw uploadTooLarge(this.limit);
    if (declaredLength === 0) throw new AppError('request_invalid', 'The upload body is empty.');
  }

  /** A whole file in one PUT. */
  async receiveWhole(auth: AuthContext, target: UploadTarget, body: UploadBody): Promise<FileRow> {
    const expected = body.declaredLength;
    this.checkDeclared(expected);
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `put-${Date.now()}-${rand()}`);
    try {
      const { file } = await this.finish({
        scope: auth,
        folder: target.folder,
        filename: target.filename,
        createdBy: auth.keyId,
        bytes: async () => {
          const size = await body.saveTo(tmp, { max: this.limit, expected });
          if (size === 0) throw new AppError('request_invalid', 'The upload body is empty.');
          return tmp;
        },
      });
      return file;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** One chunk of a resumable upload (spec §9.3). */
  async receiveChunk(
    auth: AuthContext,
    target: UploadTarget,
    range: ContentRange,
    body: UploadBody,
  ): Promise<ChunkResult> {
    const { declaredLength } = body;
    this.checkDeclared(declaredLength, range.total);
    const expected = range.end - range.start + 1;
    if (declaredLength !== undefined && declaredLength !== expected) {
      throw new AppError(
        'request_invalid',
        `Content-Length ${declaredLength} does not match Content-Range ${range.start}-${range.end} (${expected} bytes).`,
      );
    }
    const session = await this.session(auth, target, range);
    if (session.status !== 'receiving') {
      // a chunk of a finished upload, sent again because its answer was lost: read it, answer from the row
      await body.saveTo(null, { max: this.limit, expected });
      return this.commit(auth, session.id, range, null);
    }
    const dir = join(this.uploadsDir, session.id);
    await mkdir(dir, { recursive: true });
    const part = `${range.start}-${range.end}.${rand()}.part`;
    try {
      await body.saveTo(join(dir, part), { max: this.limit, expected });
    } catch (err) {
      await rm(join(dir, part), { force: true });
      throw err;
    }
    return this.commit(auth, session.id, range, part);
  }
  /** The open session for this target, a finished one holding exactly this chunk, or a new one. */
  private async session(auth: AuthContext, target: UploadTarget, range: ContentRange): Promise<UploadRow> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const open = await this.repo.findOpenPut(auth.projectId, target.path, range.total);
      if (open) return open;
      const closed = await this.repo.findClosedPut(auth.projectId, target.path, range.total);
      const replay = closed.find((r) =>
        (JSON.parse(r.chunks) as Chunk[]).some((c) => c[0] === range.start && c[1] === range.end),
      );
      if (replay) return replay;
      const ts = now();
      const row: UploadRow = {
        id: newId('upl'),
        project_id: auth.projectId,
        protocol: 'put',
        path: target.path,
        folder: target.folder,
        filename: target.filename,
        total: range.total,
        chunks: '[]',
        received_bytes: 0,
        status: 'receiving',
        file_id: null,
        created_by: auth.keyId,
        meta: null,
        version: 0,
        expires: isoPlus(this.ttlMs),
        created: ts,
        updated: ts,
      };
      try {
        await this.repo.insert(row);
        return row;
      } catch (err) {
        // another chunk of the same upload created the session a moment ago
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new AppError('unavailable', 'Could not open an upload session; retry the chunk.');
  }

  private async commit(
    auth: AuthContext,
    id: string,
    range: ContentRange,
    part: string | null,
  ): Promise<ChunkResult> {
    const dir = join(this.uploadsDir, id);
    const discard = async () => {
      if (part) await rm(join(dir, part), { force: true });
    };
    for (let attempt = 0; attempt < 50; attempt++) {
      const row = await this.repo.get(id);
      if (!row) {
        await discard();
        throw new AppError(
          'upload_gone',
          'This upload expired or failed; start it again from the first chunk.',
        );
      }
      const chunks = JSON.parse(row.chunks) as Chunk[];
      const same = chunks.find((c) => c[0] === range.start && c[1] === range.end);
      if (same) {
        await discard();
        return this.answerRepeat(auth, row);
      }
      if (row.status !== 'receiving') {
        await discard();
        throw new AppError(
          'upload_conflict',
          `This upload already has all its bytes; bytes ${range.start}-${range.end} are not one of its chunks.`,
        );
      }
      const overlap = chunks.find((c) => c[0] <= range.end && range.start <= c[1]);
      if (overlap) {
        await discard();
        throw new AppError(
          'upload_conflict',
          `Bytes ${range.start}-${range.end} overlap the chunk ${overlap[0]}-${overlap[1]} already received for this upload. ` +
            'Chunks must not overlap; a retried chunk must repeat exactly the same range.',
        );
      }
      if (!part) throw new Error('a new chunk needs its part file');
      const next = [...chunks, [range.start, range.end, part] as Chunk].sort((a, b) => a[0] - b[0]);
      const received = row.received_bytes + (range.end - range.start + 1);
      const complete = received === row.total;
      const patch: Partial<UploadRow> = {
        chunks: JSON.stringify(next),
        received_bytes: received,
        status: complete ? 'finishing' : 'receiving',
        updated: now(),
        expires: isoPlus(this.ttlMs),
      };
      if (!(await this.repo.updateIfVersion(row.id, row.version, patch))) continue;
      const updated = { ...row, ...patch, version: row.version + 1 };
      if (!complete) return { status: 202, upload: updated };
      return this.finishChunks(auth, updated, next);
    }
    await discard();
    throw new AppError('unavailable', 'The upload is too busy; retry the chunk.');
  }

  private async answerRepeat(auth: AuthContext, row: UploadRow): Promise<ChunkResult> {
    // a copy of the completing chunk while the first is still being assembled and ingested (a client
    // that lost the connection retries at once): wait for that finish and give its answer
    if (row.status === 'finishing') row = await this.awaitFinish(row);
    if (row.status === 'receiving') return { status: 202, upload: row };
    if (row.status === 'complete' && row.file_id) {
      const file = await this.media.getFile(auth.projectId, row.file_id);
      if (file) return { status: 200, upload: row, file };
    }
    // still finishing after the wait (a very slow ingest, or a node that died mid-finish and whose
    // session expires): all bytes are here, which is what a 202 says (docs/delivery.md)
    if (row.status === 'finishing') return { status: 202, upload: row };
    throw new AppError('upload_gone', 'This upload failed; start it again from the first chunk.');
  }

  /** Polls a session that another request is finishing until it is done (or FINISH_WAIT_MS passed). */
  private async awaitFinish(row: UploadRow): Promise<UploadRow> {
    const until = Date.now() + FINISH_WAIT_MS;
    let delay = 25;
    let current = row;
    while (current.status === 'finishing' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
      const next = await this.repo.get(row.id);
      if (!next) {
        throw new AppError('upload_gone', 'This upload failed; start it again from the first chunk.');
      }
      current = next;
    }
    return current;
  }

  /** Joins the parts in order and ingests the file; runs once per upload, in the request that completed it. */
  private async finishChunks(auth: AuthContext, row: UploadSession, chunks: Chunk[]): Promise<ChunkResult> {
    const dir = join(this.uploadsDir, row.id);
    try {
      const { file, upload } = await this.finish({
        scope: auth,
        folder: row.folder,
        filename: row.filename,
        createdBy: row.created_by ?? auth.keyId,
        session: row,
        bytes: () => this.assemble(dir, chunks),
      });
      return { status: 201, upload, file };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async assemble(dir: string, chunks: Chunk[]): Promise<string> {
    const assembled = join(dir, `assembled-${rand()}`);
    if (chunks.length === 1) {
      await rename(join(dir, chunks[0][2]), assembled);
      return assembled;
    }
    // one pipeline over every part in turn (a pipeline per part into one open stream left a pair of
    // listeners on it per part: a warning past ten parts, and thousands on a large upload); each part is
    // removed once it has been read
    async function* parts() {
      for (const [, , part] of chunks) {
        yield* createReadStream(join(dir, part));
        await rm(join(dir, part), { force: true });
      }
    }
    await pipeline(parts, createWriteStream(assembled));
    return assembled;
  }

  /**
   * The one finish of every upload (a single PUT, the last chunk, tus): the bytes become the target's File.
   * A session was claimed by its caller (status "finishing", by compare-and-set), so this runs once per
   * upload; the session then records the outcome against that same version.
   */
  private async finish(
    f: Finish & { session: UploadSession },
  ): Promise<{ file: FileRow; upload: UploadSession }>;
  private async finish(f: Finish): Promise<{ file: FileRow; upload?: UploadSession }>;
  private async finish(f: Finish): Promise<{ file: FileRow; upload?: UploadSession }> {
    const { session } = f;
    try {
      const file = await this.ingest.ingestLocalFile(f.scope, await f.bytes(), {
        folder: f.folder,
        filename: f.filename,
        createdBy: f.createdBy,
      });
      this.metrics?.uploadBytes(
        session ? (session.protocol === 'tus' ? 'tus' : 'chunked') : 'put',
        file.filesize,
      );
      if (!session) return { file };
      const done: Partial<UploadSession> = {
        status: 'complete',
        file_id: file.id,
        updated: now(),
        expires: isoPlus(this.ttlMs),
      };
      await this.repo.updateIfVersion(session.id, session.version, done);
      return { file, upload: { ...session, ...done } };
    } catch (err) {
      if (session) {
        await this.repo.updateIfVersion(session.id, session.version, { status: 'failed', updated: now() });
      }
      throw err;
    }
  }

  // --- tus: @tus/server (http/delivery/tus.ts) speaks the protocol and writes the bytes; the sessions are
  // rows here, like chunked ones, and the finish is the same.

  async getSession(id: string): Promise<UploadSession | undefined> {
    return this.repo.get(id);
  }

  async tusIds(): Promise<string[]> {
    return this.repo.listIds('tus');
  }

  /** A new tus session; it expires a TTL after its creation date. `meta` is the protocol's own (JSON). */
  async openTus(
    id: string,
    grant: TusGrant,
    info: { total: number | null; meta: string; createdAt: string },
  ): Promise<void> {
    await this.repo.insert({
      id,
      project_id: grant.projectId,
      protocol: 'tus',
      path: grant.path,
      folder: grant.folder,
      filename: grant.filename,
      total: info.total,
      chunks: '[]',
      received_bytes: 0,
      status: 'receiving',
      file_id: null,
      created_by: grant.keyId,
      meta: info.meta,
      version: 0,
      expires: isoPlus(this.ttlMs, new Date(info.createdAt).getTime()),
      created: now(),
      updated: now(),
    });
  }

  /** A deferred length or new metadata; a writer that lost the race changes nothing. */
  async updateTus(session: UploadSession, info: { total: number | null; meta: string }): Promise<void> {
    await this.repo.updateIfVersion(session.id, session.version, {
      total: info.total,
      meta: info.meta,
      updated: now(),
    });
  }

  async deleteSession(id: string): Promise<void> {
    await this.repo.delete(id);
  }

  /**
   * Called when tus has all the bytes of `id`. One caller (also across processes) wins the claim and gets the
   * File; the others, and an upload no longer receiving, get undefined.
   */
  async finishTus(id: string): Promise<FileRow | undefined> {
    const row = await this.repo.get(id);
    if (row?.status !== 'receiving') return undefined;
    const claim: Partial<UploadSession> = { status: 'finishing', updated: now() };
    if (!(await this.repo.updateIfVersion(row.id, row.version, claim))) return undefined;
    const local = join(this.tusDir, id);
    try {
      const { file } = await this.finish({
        scope: { projectId: row.project_id },
        folder: row.folder,
        filename: row.filename,
        createdBy: row.created_by ?? 'tus',
        session: { ...row, ...claim, version: row.version + 1 },
        bytes: async () => local,
      });
      return file;
    } catch (err) {
      await rm(local, { force: true });
      throw err;
    }
  }

  /** A finished tus upload and its File (the upload URL answers GET with it). */
  async tusFile(id: string): Promise<{ upload: UploadSession; file: FileRow }> {
    const upload = await this.repo.get(id);
    if (upload?.protocol !== 'tus') {
      throw new AppError('not_found', `No tus upload ${id.slice(0, 80)}.`);
    }
    const file = upload.file_id ? await this.media.getFile(upload.project_id, upload.file_id) : undefined;
    if (!file) {
      throw new AppError(
        'not_found',
        `Upload ${id} has no file yet (status ${upload.status}); HEAD it for its offset.`,
      );
    }
    return { upload, file };
  }

  /**
   * Deletes expired sessions of both protocols with their bytes, and leftovers no session owns (a crash
   * mid-request) older than the TTL.
   */
  async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const rows = await this.repo.expired(now());
      for (const row of rows) {
        if (row.protocol === 'put') await rm(join(this.uploadsDir, row.id), { recursive: true, force: true });
        else await rm(join(this.tusDir, row.id), { force: true });
        await this.repo.delete(row.id);
        removed++;
      }
      if (rows.length < 100) break;
    }
    const cutoff = Date.now() - this.ttlMs;
    const old = async (p: string) => {
      try {
        return (await stat(p)).mtimeMs < cutoff;
      } catch {
        return false;
      }
    };
    const list = async (d: string) => readdir(d).catch(() => [] as string[]);
    for (const name of await list(this.uploadsDir)) {
      const p = join(this.uploadsDir, name);
      if ((await old(p)) && !(await this.repo.exists(name))) {
        await rm(p, { recursive: true, force: true });
        removed++;
      }
    }
    for (const name of await list(this.tmpDir)) {
      const p = join(this.tmpDir, name);
      if (name.startsWith('put-') && (await old(p))) {
        await rm(p, { force: true });
        removed++;
      }
    }
    for (const name of await list(this.tusDir)) {
      const p = join(this.tusDir, name);
      if ((await old(p)) && !(await this.repo.exists(name))) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Sweeps every so often (a quarter of the TTL, 1 s to 10 min); the returned function stops it. */
  startSweeper(
    intervalMs?: number,
    onError: (err: Error) => void = (err) => process.stderr.write(`upload sweeper: ${err.message}\n`),
  ): () => void {
    const everyMs = intervalMs ?? Math.min(10 * 60_000, Math.max(1000, this.ttlMs / 4));
    return every(everyMs, () => this.sweep(), onError);
  }
}
