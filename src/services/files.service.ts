import type { BlobStore } from '../blobs/blob-store.js';
import { invalid, notFound } from '../lib/errors.js';
import { now } from '../lib/time.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { Page } from '../store/paginate.js';
import type { Signals } from '../store/queue.js';
import type { EventsService } from './events.service.js';
import type { IngestService } from './ingest.service.js';
import { checkMetadata, type Metadata, mergeMetadata } from './metadata.js';
import { deleteFileBlobs } from './packages.js';
import { idShapedPathProblem, joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';
import type { AuthContext } from './projects.service.js';

export interface CreateFileInput {
  url: string;
  media_id?: string;
  folder?: string;
  filename?: string;
  ref?: string;
  metadata?: Metadata;
  label?: string;
}

export interface FilePatch {
  folder?: string | null;
  filename?: string | null;
  ref?: string | null;
  metadata?: Metadata | null;
}

export class FilesService {
  constructor(
    private readonly repo: MediaRepository,
    private readonly blobs: BlobStore,
    private readonly ingest: IngestService,
    private readonly signals: Signals,
    private readonly events: EventsService,
  ) {}

  /** POST /files: synchronous URL ingest (spec §5.1). */
  async createFromUrl(ctx: AuthContext, input: CreateFileInput): Promise<FileRow> {
    return this.ingest.ingestUrl(ctx, input.url, {
      mediaId: input.media_id,
      folder: input.folder,
      filename: input.filename,
      ref: input.ref,
      metadata: input.metadata,
      label: input.label,
      createdBy: ctx.keyId,
    });
  }

  async get(ctx: AuthContext, id: string): Promise<FileRow> {
    const row = await this.repo.getFile(ctx.projectId, id);
    if (!row) throw notFound('file', id);
    return row;
  }

  list(ctx: AuthContext, page: Page): Promise<{ rows: FileRow[]; total: number }> {
    return this.repo.listFiles(ctx.projectId, page);
  }

  async update(ctx: AuthContext, id: string, patch: FilePatch): Promise<FileRow> {
    const row = await this.get(ctx, id);
    const next: Partial<FileRow> = { updated: now() };
    if (patch.folder !== undefined) next.folder = sanitizeFolder(patch.folder);
    if (patch.filename !== undefined) {
      if (patch.filename === null) throw invalid('filename cannot be null');
      const filename = sanitizeFilename(patch.filename);
      if (!filename) throw invalid('filename must contain at least one usable character');
      next.filename = filename;
    }
    if (patch.ref !== undefined) next.ref = patch.ref;
    if (patch.metadata !== undefined)
      next.metadata = mergeMetadata(row.metadata, checkMetadata(patch.metadata) ?? null);
    if (next.folder !== undefined || next.filename !== undefined) {
      const folder = next.folder !== undefined ? next.folder : row.folder;
      const filename = next.filename ?? row.filename ?? `${row.id}`;
      next.filename = filename;
      next.path = joinPath(folder, filename);
      const problem = idShapedPathProblem(next.path, row.id);
      if (problem) throw invalid(problem);
    }
    return this.write(ctx, row, next);
  }

  /**
   * PUT /files/{id}: folder, filename, ref and metadata as given; what is not given becomes empty (no folder,
   * no ref, no metadata) and the filename falls back to `{file id}.{ext}` of the current name.
   */
  async replace(ctx: AuthContext, id: string, body: FilePatch): Promise<FileRow> {
    const row = await this.get(ctx, id);
    const folder = sanitizeFolder(body.folder ?? null);
    const ext = /\.([A-Za-z0-9]{1,10})$/.exec(row.filename ?? '')?.[1];
    let filename = `${row.id}${ext ? `.${ext}` : ''}`;
    if (body.filename !== undefined && body.filename !== null) {
      const given = sanitizeFilename(body.filename);
      if (!given) throw invalid('filename must contain at least one usable character');
      filename = given;
    }
    const metadata = checkMetadata(body.metadata ?? null);
    const problem = idShapedPathProblem(joinPath(folder, filename), row.id);
    if (problem) throw invalid(problem);
    return this.write(ctx, row, {
      folder,
      filename,
      path: joinPath(folder, filename),
      ref: body.ref ?? null,
      metadata: metadata ? JSON.stringify(metadata) : null,
      updated: now(),
    });
  }

  private async write(ctx: AuthContext, row: FileRow, next: Partial<FileRow>): Promise<FileRow> {
    await this.signals.transact(async (tx) => {
      await this.repo.updateFile(ctx.projectId, row.id, next, tx.db);
      await this.repo.updateMedia(ctx.projectId, row.media_id, { updated: next.updated }, tx.db);
      const updated = await this.repo.getFile(ctx.projectId, row.id, tx.db);
      if (updated) await this.events.fileChanged(tx, 'file.updated', updated);
    });
    return this.get(ctx, row.id);
  }

  /** Removes the file from its media (files and urls) and deletes its bytes. */
  async delete(ctx: AuthContext, id: string): Promise<void> {
    const row = await this.get(ctx, id);
    await this.signals.transact(async (tx) => {
      await this.repo.deleteFile(ctx.projectId, id, tx.db);
      await this.repo.updateMedia(ctx.projectId, row.media_id, { updated: now() }, tx.db);
      await this.events.fileChanged(tx, 'file.deleted', row);
    });
    await deleteFileBlobs(this.blobs, row);
  }
}
