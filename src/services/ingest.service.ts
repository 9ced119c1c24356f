// Turns bytes on local disk into a stored, probed File (and its Media when none is given). Shared by URL
// ingest, direct and resumable uploads, and the ingest task, so every way in ends in the same place.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import { AppError, notFound } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { MediaError } from '../media/errors.js';
import { probeFile } from '../media/probe.js';
import { sniffFile } from '../media/sniff.js';
import { FetchError, fetchToFile } from '../net/safe-fetch.js';
import type { FileRow, MediaRepository, MediaRow } from '../store/media.repository.js';
import type { Signals } from '../store/queue.js';
import type { EventsService } from './events.service.js';
import { fileBlobKey, newFileRow } from './file-rows.js';
import { checkMetadata, type Metadata } from './metadata.js';

export interface IngestOptions {
  mediaId?: string;
  folder?: string | null;
  filename?: string | null;
  ref?: string | null;
  metadata?: Metadata | null;
  label?: string | null;
  /** who made it: a key, task or automation id */
  createdBy: string;
  /** filename to fall back on (URL path segment, upload path) */
  filenameHint?: string | null;
  /** aborts a URL download in progress (a cancelled task); the partial file is removed */
  signal?: AbortSignal;
}

export interface IngestScope {
  projectId: string;
}

/** What a failed probe means for the API caller: the media's own fault keeps its code; a tool's reads as corrupt. */
export function mediaErrorToApp(err: MediaError): AppError {
  const code =
    err.code === 'media_too_large' || err.code === 'media_unsupported' ? err.code : 'media_corrupt';
  return new AppError(code, err.message, { cause: err, retryable: err.retryable });
}

export class IngestService {
  constructor(
    private readonly config: Config,
    private readonly repo: MediaRepository,
    private readonly blobs: BlobStore,
    private readonly signals: Signals,
    private readonly events: EventsService,
  ) {}

  tempPath(): string {
    return join(this.config.dataDir, 'tmp', `ingest-${Date.now()}-${randomBytes(6).toString('hex')}`);
  }

  /** Downloads a URL (SSRF-safe, capped) and ingests it. Nothing is left behind on failure. */
  async ingestUrl(scope: IngestScope, url: string, opts: IngestOptions): Promise<FileRow> {
    if (opts.mediaId) await this.requireMedia(scope, opts.mediaId);
    const tmp = this.tempPath();
    await mkdir(join(this.config.dataDir, 'tmp'), { recursive: true });
    try {
      const { limits } = this.config;
      const res = await fetchToFile(url, tmp, {
        maxBytes: limits.ingestBytes,
        timeoutMs: limits.ingestTimeoutMs,
        idleMs: limits.ingestIdleMs,
        maxRedirects: limits.maxRedirects,
        allowPrivate: this.config.allowPrivateUrls,
        userAgent: 'mediary',
        signal: opts.signal,
      });
      return await this.ingestLocalFile(scope, tmp, {
        ...opts,
        filenameHint: opts.filenameHint ?? res.filenameHint,
      });
    } catch (err) {
      if (err instanceof FetchError) {
        const code = err.code === 'url_too_large' ? 'payload_too_large' : err.code;
        // a remote server's bad moment (5xx, 408, 429) is worth another attempt; its 404 is not
        const remote = err.status;
        throw new AppError(code, err.message, {
          cause: err,
          status: err.code === 'url_too_large' ? 413 : 400,
          retryable:
            code === 'url_http_error'
              ? remote === undefined || remote >= 500 || remote === 429 || remote === 408
              : undefined,
        });
      }
      throw err;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async requireMedia(scope: IngestScope, mediaId: string): Promise<MediaRow> {
    const media = await this.repo.getMedia(scope.projectId, mediaId);
    if (!media) throw notFound('media', mediaId);
    return media;
  }

  /** Sniffs, probes and stores a local file (which is consumed), then writes the rows in one transaction. */
  async ingestLocalFile(scope: IngestScope, localPath: string, opts: IngestOptions): Promise<FileRow> {
    const metadata = checkMetadata(opts.metadata);
    if (opts.mediaId) await this.requireMedia(scope, opts.mediaId);
    const sniffed = await sniffFile(localPath);
    if (!sniffed) {
      throw new AppError(
        'media_unsupported',
        'The content is not a supported video, image or audio file (its bytes match no known media format).',
      );
    }
    let probe: Awaited<ReturnType<typeof probeFile>>;
    try {
      probe = await probeFile(localPath, sniffed, {
        maxPixels: this.config.limits.maxPixels,
        maxDurationSeconds: this.config.limits.maxDurationSeconds,
      });
    } catch (err) {
      if (err instanceof MediaError) throw mediaErrorToApp(err);
      throw err;
    }
    const fileId = newId('file');
    const blobKey = fileBlobKey(scope.projectId, fileId);
    const { size } = await this.blobs.putFile(blobKey, localPath, { contentType: probe.type });
    const newMedia = !opts.mediaId;
    const mediaId = opts.mediaId ?? newId('med');
    const row = newFileRow({
      id: fileId,
      projectId: scope.projectId,
      mediaId,
      object: 'source',
      kind: probe.kind,
      type: probe.type,
      facts: probe,
      filesize: size,
      blobKey,
      folder: opts.folder,
      filename: opts.filename,
      filenameHint: opts.filenameHint,
      ext: sniffed.ext,
      label: opts.label,
      ref: opts.ref ?? (newMedia ? 'original' : null),
      metadata,
      original: newMedia,
      createdBy: opts.createdBy,
    });
    const ts = row.created;
    try {
      await this.signals.transact(async (tx) => {
        const trx = tx.db;
        if (newMedia) {
          await this.repo.insertMedia(
            {
              id: mediaId,
              project_id: scope.projectId,
              title: null,
              alt: null,
              metadata: null,
              created_by: opts.createdBy,
              announced: null,
              created: ts,
              updated: ts,
            },
            trx,
          );
        } else {
          const media = await this.repo.getMedia(scope.projectId, mediaId, trx);
          if (!media) throw notFound('media', mediaId);
          await this.repo.updateMedia(scope.projectId, mediaId, { updated: ts }, trx);
        }
        await this.repo.insertFile(row, trx);
        // file.created, and media.created for a media's first file: automations start from these
        await this.events.fileCreated(tx, row);
      });
    } catch (err) {
      await this.blobs.delete(blobKey);
      throw err;
    }
    return row;
  }
}
