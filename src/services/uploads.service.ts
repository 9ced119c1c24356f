// Uploads on the delivery host (spec §9): one PUT with the whole body, or chunks with Content-Range that
// may arrive in any order, in parallel and more than once. Bytes wait in the data dir; the session's state
// lives in the `uploads` table and changes only by compare-and-set on its version, so several processes
// can take chunks of the same upload and exactly one of them (the one whose chunk completes it) assembles
// and ingests the file.
//
// Chunks are kept as separate part files, named in the session row, rather than written into one sparse
// file at their offsets: a chunk is only committed after all its bytes arrived, so a broken, rejected or
// overlapping chunk never touches bytes another request wrote, and no in-flight range needs reserving.
// The price is one sequential copy when the parts are joined.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { isoPlus, now } from '../lib/time.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import { isUniqueViolation, type UploadRow, type UploadsRepository } from '../store/uploads.repository.js';
import type { IngestService } from './ingest.service.js';
import { joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';
import type { AuthContext } from './projects.service.js';

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

export type ChunkResult =
  | { status: 202; upload: UploadRow }
  | { status: 201 | 200; upload: UploadRow; file: FileRow };

type Chunk = [start: number, end: number, part: string];

/** Raised when the client goes away mid-body: there is nobody to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the body was complete');
    this.name = 'ClientGoneError';
  }
}

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
  return { folder, filename, path: joinPath(folder, filename) };
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `bytes=S-E/T` (ittybit's docs) or `bytes S-E/T` (RFC 9110, ittybit's app); E is inclusive. */
export function parseContentRange(header: string): ContentRange {
  const m = /^\s*bytes[= ]\s*(\d{1,16})-(\d{1,16})\/(\d{1,16})\s*$/i.exec(header);
  if (!m) {
    throw new AppError(
      'request_invalid',
      `Content-Range "${header.slice(0, 100)}" is not "bytes START-END/TOTAL" (END inclusive, TOTAL known).`,
    );
  }
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (total > MAX_SAFE || end > MAX_SAFE)
    throw new AppError('payload_too_large', 'Content-Range is too large.');
  if (start > end) {
    throw new AppError('request_invalid', `Content-Range starts after it ends (${start} > ${end}).`);
  }
  if (end >= total) {
    throw new AppError(
      'request_invalid',
      `Content-Range end ${end} is not inside the file (TOTAL ${total}; the last byte is ${total - 1}).`,
    );
  }
  return { start, end, total };
}

function tooLarge(limit: number): AppError {
  return new AppError(
    'payload_too_large',
    `The upload is larger than this server accepts (${limit} bytes, MEDIARY_MAX_UPLOAD_BYTES).`,
  );
}

/**
 * Streams a request body into a file (or nowhere), counting bytes. The source is never destroyed here, so an
 * error can still be answered; a client that goes away rejects with ClientGoneError.
 */
export async function receiveBody(
  body: Readable,
  dest: string | null,
  limits: { max: number; expected?: number },
): Promise<number> {
  // the connection may have died while the request waited for its auth checks
  if (body.destroyed && !body.readableEnded) throw new ClientGoneError();
  let size = 0;
  // the counter is the only stage between socket and file; pipe() (unlike pipeline) never destroys the
  // source, so an error can still be answered
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (limits.expected !== undefined && size > limits.expected) {
        cb(
          new AppError(
            'request_invalid',
            `The body is longer than declared (more than ${limits.expected} bytes).`,
          ),
        );
      } else if (size > limits.max) cb(tooLarge(limits.max));
      else cb(null, chunk);
    },
  });
  const onError = () => counter.destroy(new ClientGoneError());
  const onClose = () => {
    if (!body.readableEnded) counter.destroy(new ClientGoneError());
  };
  body.on('error', onError);
  body.on('close', onClose);
  const sink = dest
    ? createWriteStream(dest)
    : new Writable({
        write(_chunk, _enc, cb) {
          cb();
        },
      });
  body.pipe(counter);
  try {
    await pipeline(counter, sink);
  } catch (err) {
    body.unpipe(counter);
    throw err;
  } finally {
    body.off('error', onError);
    body.off('close', onClose);
  }
  if (limits.expected !== undefined && size < limits.expected) {
    throw new AppError(
      'request_invalid',
      `The body is shorter than declared (${size} of ${limits.expected} bytes).`,
    );
  }
  return size;
}

function rand(): string {
  return randomBytes(6).toString('hex');
}

export class UploadsService {
  readonly uploadsDir: string;
  readonly tmpDir: string;
  private readonly ttlMs: number;

  constructor(
    private readonly config: Config,
    private readonly repo: UploadsRepository,
    private readonly media: MediaRepository,
    private readonly ingest: IngestService,
  ) {
    this.tmpDir = join(config.dataDir, 'tmp');
    this.uploadsDir = join(this.tmpDir, 'uploads');
    this.ttlMs = config.limits.uploadTtlSeconds * 1000;
  }

  private get limit(): number {
    return this.config.limits.uploadBytes;
  }

  /** Refuses what is too large or empty before a byte is read. */
  checkDeclared(declaredLength: number | undefined, total?: number): void {
    if (total !== undefined && total > this.limit) throw tooLarge(this.limit);
    if (declaredLength !== undefined && declaredLength > this.limit) throw tooLarge(this.limit);
    if (declaredLength === 0) throw new AppError('request_invalid', 'The upload body is empty.');
  }

  /** A whole file in one PUT. */
  async receiveWhole(
    auth: AuthContext,
    target: UploadTarget,
    body: Readable,
    declaredLength: number | undefined,
  ): Promise<FileRow> {
    this.checkDeclared(declaredLength);
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, `put-${Date.now()}-${rand()}`);
    try {
      const size = await receiveBody(body, tmp, { max: this.limit, expected: declaredLength });
      if (size === 0) throw new AppError('request_invalid', 'The upload body is empty.');
      return await this.ingest.ingestLocalFile(auth, tmp, {
        folder: target.folder,
        filename: target.filename,
        createdBy: auth.keyId,
      });
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** One chunk of a resumable upload (spec §9.3). */
  async receiveChunk(
    auth: AuthContext,
    target: UploadTarget,
    range: ContentRange,
    body: Readable,
    declaredLength: number | undefined,
  ): Promise<ChunkResult> {
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
      await receiveBody(body, null, { max: this.limit, expected });
      return this.commit(auth, session.id, range, null);
    }
    const dir = join(this.uploadsDir, session.id);
    await mkdir(dir, { recursive: true });
    const part = `${range.start}-${range.end}.${rand()}.part`;
    try {
      await receiveBody(body, join(dir, part), { max: this.limit, expected });
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
      return this.finish(auth, updated, next);
    }
    await discard();
    throw new AppError('unavailable', 'The upload is too busy; retry the chunk.');
  }

  private async answerRepeat(auth: AuthContext, row: UploadRow): Promise<ChunkResult> {
    if (row.status === 'receiving') return { status: 202, upload: row };
    if (row.status === 'complete' && row.file_id) {
      const file = await this.media.getFile(auth.projectId, row.file_id);
      if (file) return { status: 200, upload: row, file };
    }
    if (row.status === 'finishing') {
      throw new AppError('upload_conflict', 'This upload is being assembled; ask again in a moment.');
    }
    throw new AppError('upload_gone', 'This upload failed; start it again from the first chunk.');
  }

  /** Joins the parts in order and ingests the file; runs once per upload, in the request that completed it. */
  private async finish(auth: AuthContext, row: UploadRow, chunks: Chunk[]): Promise<ChunkResult> {
    const dir = join(this.uploadsDir, row.id);
    const assembled = join(dir, `assembled-${rand()}`);
    try {
      if (chunks.length === 1) {
        await rename(join(dir, chunks[0][2]), assembled);
      } else {
        const out = createWriteStream(assembled);
        const closed = new Promise<void>((resolve, reject) => {
          out.on('close', resolve);
          out.on('error', reject);
        });
        for (const [, , part] of chunks) {
          await pipeline(createReadStream(join(dir, part)), out, { end: false });
          await rm(join(dir, part), { force: true });
        }
        out.end();
        await closed;
      }
      const file = await this.ingest.ingestLocalFile(auth, assembled, {
        folder: row.folder,
        filename: row.filename,
        createdBy: row.created_by ?? auth.keyId,
      });
      const done: Partial<UploadRow> = {
        status: 'complete',
        file_id: file.id,
        updated: now(),
        expires: isoPlus(this.ttlMs),
      };
      await this.repo.updateIfVersion(row.id, row.version, done);
      return { status: 201, upload: { ...row, ...done }, file };
    } catch (err) {
      await this.repo.updateIfVersion(row.id, row.version, { status: 'failed', updated: now() });
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Deletes expired sessions with their bytes, and leftovers no session owns (a crash mid-request), older
   * than the TTL. `tusDir` holds tus uploads, one file per upload id.
   */
  async sweep(tusDir?: string): Promise<number> {
    let removed = 0;
    for (;;) {
      const rows = await this.repo.expired(now());
      for (const row of rows) {
        if (row.protocol === 'put') await rm(join(this.uploadsDir, row.id), { recursive: true, force: true });
        else if (tusDir) await rm(join(tusDir, row.id), { force: true });
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
    if (tusDir) {
      for (const name of await list(tusDir)) {
        const p = join(tusDir, name);
        if ((await old(p)) && !(await this.repo.exists(name))) {
          await rm(p, { force: true });
          removed++;
        }
      }
    }
    return removed;
  }
}
