import type { BlobStore } from '../blobs/blob-store.js';
import { invalid, notFound } from '../lib/errors.js';
import { now } from '../lib/time.js';
import type { FileRow, MediaRepository } from '../store/media.repository.js';
import type { Page } from '../store/paginate.js';
import type { IngestService } from './ingest.service.js';
import { checkMetadata, type Metadata, mergeMetadata } from './metadata.js';
import { deleteFileBlobs } from './packages.js';
import { joinPath, sanitizeFilename, sanitizeFolder } from './paths.js';
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
    }
    await this.repo.transaction(async (trx) => {
      await this.repo.updateFile(ctx.projectId, id, next, trx);
      await this.repo.updateMedia(ctx.projectId, row.media_id, { updated: next.updated }, trx);
    });
    return this.get(ctx, id);
  }

  /** Removes the file from its media (files and urls) and deletes its bytes. */
  async delete(ctx: AuthContext, id: string): Promise<void> {
    const row = await this.get(ctx, id);
    await this.repo.transaction(async (trx) => {
      await this.repo.deleteFile(ctx.projectId, id, trx);
      await this.repo.updateMedia(ctx.projectId, row.media_id, { updated: now() }, trx);
    });
    await deleteFileBlobs(this.blobs, row);
  }
}
