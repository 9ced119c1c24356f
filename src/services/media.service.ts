import type { BlobStore } from '../blobs/blob-store.js';
import { notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { now } from '../lib/time.js';
import type { FileRow, MediaRepository, MediaRow } from '../store/media.repository.js';
import type { Page } from '../store/paginate.js';
import type { Signals } from '../store/queue.js';
import type { EventsService } from './events.service.js';
import { checkMetadata, type Metadata, mergeMetadata } from './metadata.js';
import { deleteFileBlobs } from './packages.js';
import type { AuthContext } from './projects.service.js';

export interface MediaWithFiles {
  media: MediaRow;
  files: FileRow[];
}

export interface MediaPatch {
  title?: string | null;
  alt?: string | null;
  metadata?: Metadata | null;
}

export class MediaService {
  constructor(
    private readonly repo: MediaRepository,
    private readonly blobs: BlobStore,
    private readonly signals: Signals,
    private readonly events: EventsService,
  ) {}

  async create(ctx: AuthContext, input: MediaPatch): Promise<MediaWithFiles> {
    const ts = now();
    const metadata = checkMetadata(input.metadata);
    const row: MediaRow = {
      id: newId('med'),
      project_id: ctx.projectId,
      title: input.title ?? null,
      alt: input.alt ?? null,
      metadata: metadata ? JSON.stringify(metadata) : null,
      created_by: ctx.keyId,
      announced: null,
      created: ts,
      updated: ts,
    };
    await this.repo.insertMedia(row);
    return { media: row, files: [] };
  }

  async get(ctx: AuthContext, id: string): Promise<MediaWithFiles> {
    const media = await this.repo.getMedia(ctx.projectId, id);
    if (!media) throw notFound('media', id);
    return { media, files: await this.repo.filesOfMedia(ctx.projectId, [id]) };
  }

  async list(ctx: AuthContext, page: Page): Promise<{ items: MediaWithFiles[]; total: number }> {
    const { rows, total } = await this.repo.listMedia(ctx.projectId, page);
    const files = await this.repo.filesOfMedia(
      ctx.projectId,
      rows.map((r) => r.id),
    );
    return {
      items: rows.map((media) => ({ media, files: files.filter((f) => f.media_id === media.id) })),
      total,
    };
  }

  async update(ctx: AuthContext, id: string, patch: MediaPatch): Promise<MediaWithFiles> {
    const media = await this.repo.getMedia(ctx.projectId, id);
    if (!media) throw notFound('media', id);
    const next: Partial<MediaRow> = { updated: now() };
    if (patch.title !== undefined) next.title = patch.title;
    if (patch.alt !== undefined) next.alt = patch.alt;
    if (patch.metadata !== undefined) {
      next.metadata = mergeMetadata(media.metadata, checkMetadata(patch.metadata) ?? null);
    }
    return this.write(ctx, id, next);
  }

  /** PUT /media/{id}: title, alt and metadata as given; what is not given becomes empty. */
  async replace(ctx: AuthContext, id: string, body: MediaPatch): Promise<MediaWithFiles> {
    const media = await this.repo.getMedia(ctx.projectId, id);
    if (!media) throw notFound('media', id);
    const metadata = checkMetadata(body.metadata ?? null);
    return this.write(ctx, id, {
      title: body.title ?? null,
      alt: body.alt ?? null,
      metadata: metadata ? JSON.stringify(metadata) : null,
      updated: now(),
    });
  }

  private async write(ctx: AuthContext, id: string, next: Partial<MediaRow>): Promise<MediaWithFiles> {
    await this.signals.transact(async (tx) => {
      await this.repo.updateMedia(ctx.projectId, id, next, tx.db);
      const media = await this.repo.getMedia(ctx.projectId, id, tx.db);
      if (!media) return;
      const files = await this.repo.filesOfMedia(ctx.projectId, [id], tx.db);
      await this.events.mediaChanged(tx, 'media.updated', media, files);
    });
    return this.get(ctx, id);
  }

  /** Deletes the media, its files and their blobs (spec §5.2 [INF]: cascade). */
  async delete(ctx: AuthContext, id: string): Promise<void> {
    const media = await this.repo.getMedia(ctx.projectId, id);
    if (!media) throw notFound('media', id);
    const files = await this.repo.filesOfMedia(ctx.projectId, [id]);
    await this.signals.transact(async (tx) => {
      await this.repo.deleteMedia(ctx.projectId, id, tx.db);
      await this.events.mediaChanged(tx, 'media.deleted', media, files);
    });
    await Promise.all(files.map((f) => deleteFileBlobs(this.blobs, f)));
  }
}
