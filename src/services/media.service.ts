import type { BlobStore } from '../blobs/blob-store.js';
import { invalid, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { now } from '../lib/time.js';
import type { FileRow, MediaFilter, MediaRepository, MediaRow } from '../store/media.repository.js';
import type { Page } from '../store/paginate.js';
import type { Signals } from '../store/queue.js';
import type { EventsService } from './events.service.js';
import { checkMetadata, type Metadata, mergeMetadata } from './metadata.js';
import { deleteFileBlobs } from './packages.js';
import { sanitizeFolder } from './paths.js';
import type { AuthContext } from './projects.service.js';

export interface MediaWithFiles {
  media: MediaRow;
  files: FileRow[];
}

/** GET /media's library filters as the query gives them (docs/webapp.md, Media list filters). */
export interface MediaListQuery {
  q?: string;
  kind?: string;
  /** the original's folder; with a trailing slash, that folder and everything under it */
  folder?: string;
  created_after?: string;
  created_before?: string;
}

function isoDate(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  // a date (2025-01-31) or a date-time with an offset; what Date.parse would guess at otherwise is refused
  if (!/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    throw invalid(`${name} must be an ISO 8601 date or date-time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z.`);
  }
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw invalid(`${name} is not a valid date: "${value.slice(0, 40)}".`);
  return new Date(t).toISOString();
}

/** The repository's filter from the query: dates normalised to ISO, the folder sanitised like a stored one. */
export function mediaFilter(query: MediaListQuery): MediaFilter {
  const f: MediaFilter = {
    kind: query.kind,
    createdAfter: isoDate('created_after', query.created_after),
    createdBefore: isoDate('created_before', query.created_before),
  };
  const q = query.q?.trim();
  if (q) f.q = q;
  if (query.folder !== undefined && query.folder !== '') {
    const folder = sanitizeFolder(query.folder);
    if (query.folder.endsWith('/')) {
      // "/" alone is the whole tree: no filter
      if (folder !== null) f.folderPrefix = folder;
    } else {
      f.folder = folder;
    }
  }
  return f;
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

  async list(
    ctx: AuthContext,
    page: Page,
    query: MediaListQuery = {},
  ): Promise<{ items: MediaWithFiles[]; total: number; capped: boolean }> {
    const { rows, total, capped } = await this.repo.listMedia(ctx.projectId, page, mediaFilter(query));
    return { items: await this.withFiles(ctx, rows), total, capped };
  }

  /**
   * The page after media `afterId` (keyset, newest first; docs/webapp.md): no total is counted, `hasMore`
   * says whether another page follows. 404 when `afterId` is not a media of the project.
   */
  async listAfter(
    ctx: AuthContext,
    afterId: string,
    limit: number,
    query: MediaListQuery = {},
  ): Promise<{ items: MediaWithFiles[]; hasMore: boolean }> {
    const filter = mediaFilter(query);
    const found = await this.repo.listMediaAfter(ctx.projectId, afterId, limit, filter);
    if (!found) throw notFound('media', afterId);
    return { items: await this.withFiles(ctx, found.rows), hasMore: found.hasMore };
  }

  private async withFiles(ctx: AuthContext, rows: MediaRow[]): Promise<MediaWithFiles[]> {
    const files = await this.repo.filesOfMedia(
      ctx.projectId,
      rows.map((r) => r.id),
    );
    const byMedia = new Map<string, FileRow[]>();
    for (const f of files) {
      const list = byMedia.get(f.media_id);
      if (list) list.push(f);
      else byMedia.set(f.media_id, [f]);
    }
    return rows.map((media) => ({ media, files: byMedia.get(media.id) ?? [] }));
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
