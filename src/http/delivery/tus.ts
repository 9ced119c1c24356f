// tus 1.0 (core, creation, creation-with-upload, creation-defer-length, termination, expiration) under /tus/,
// served by @tus/server with its FileStore. The upload's state is an uploads-service session (a configstore
// over it), its bytes are in the data dir; the finished upload goes through the service's one finish, like
// every other upload.
//
// Creation is authorised like a PUT: `Authorization: Bearer KEY` (target from Upload-Metadata `folder` and
// `filename`/`name`), or a signed PUT URL used as the endpoint: /tus/{project}/{folder}/{filename}?expiry=…
// &method=put&signature=…. The upload URL returned in Location (an unguessable id) is then the capability
// for PATCH, HEAD and DELETE, as with tus servers generally.
import { FileStore } from '@tus/file-store';
import { ERRORS, type KvStore, Server, Upload } from '@tus/server';
import type { AppContext } from '../../app-context.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { now } from '../../lib/time.js';
import {
  type TusGrant,
  type UploadSession,
  type UploadsService,
  uploadTarget,
} from '../../services/uploads.service.js';
import { keyAuth } from './key-auth.js';
import { parseDeliveryPath } from './paths.js';

export const TUS_PREFIX = '/tus';
/** carries the creation's grant from onUploadCreate to the configstore; never stored in the tus metadata */
const GRANT_KEY = 'mediary-grant';

type Grant = TusGrant & { orgId: string };

interface TusMeta {
  metadata?: Record<string, string | null>;
  creation_date?: string;
}

function tusError(err: unknown): { status_code: number; body: string } {
  if (err instanceof AppError) return { status_code: err.status, body: `${err.message}\n` };
  throw err;
}

/** The uploads service's sessions as tus's key-value store of upload info. */
class UploadsConfigstore implements KvStore<Upload> {
  constructor(private readonly uploads: UploadsService) {}

  private toUpload(row: UploadSession): Upload {
    const meta = (row.meta ? JSON.parse(row.meta) : {}) as TusMeta;
    const complete = row.status === 'complete' && row.total !== null;
    return new Upload({
      id: row.id,
      size: row.total ?? undefined,
      offset: complete ? (row.total as number) : 0,
      metadata: meta.metadata,
      creation_date: meta.creation_date,
    });
  }

  async get(key: string): Promise<Upload | undefined> {
    const row = await this.uploads.getSession(key);
    return row && row.protocol === 'tus' ? this.toUpload(row) : undefined;
  }

  async set(key: string, value: Upload): Promise<void> {
    const existing = await this.uploads.getSession(key);
    const { [GRANT_KEY]: grantJson, ...metadata } = value.metadata ?? {};
    const meta: TusMeta = { metadata: Object.keys(metadata).length ? metadata : undefined };
    meta.creation_date = value.creation_date ?? now();
    if (existing) {
      const prev = (existing.meta ? JSON.parse(existing.meta) : {}) as TusMeta;
      await this.uploads.updateTus(existing, {
        total: value.size ?? null,
        meta: JSON.stringify({ ...prev, metadata: meta.metadata ?? prev.metadata }),
      });
      return;
    }
    if (!grantJson) throw new Error('a tus upload is created without its grant');
    const grant = JSON.parse(grantJson) as Grant;
    await this.uploads.openTus(key, grant, {
      total: value.size ?? null,
      meta: JSON.stringify(meta),
      createdAt: meta.creation_date,
    });
  }

  async delete(key: string): Promise<void> {
    await this.uploads.deleteSession(key);
  }

  async list(): Promise<string[]> {
    return this.uploads.tusIds();
  }
}

/** FileStore whose finished uploads stay answerable (HEAD) after their bytes moved into the blob store. */
class TusFileStore extends FileStore {
  constructor(
    private readonly uploads: UploadsService,
    ttlMs: number,
  ) {
    super({
      directory: uploads.tusDir,
      configstore: new UploadsConfigstore(uploads),
      expirationPeriodInMilliseconds: ttlMs,
    });
  }

  override async getUpload(id: string): Promise<Upload> {
    const row = await this.uploads.getSession(id);
    if (row?.protocol === 'tus' && row.status === 'failed') throw ERRORS.FILE_NO_LONGER_EXISTS;
    if (row?.protocol === 'tus' && row.status !== 'receiving') {
      const meta = (row.meta ? JSON.parse(row.meta) : {}) as TusMeta;
      return new Upload({
        id,
        size: row.total ?? undefined,
        offset: row.total ?? 0,
        metadata: meta.metadata,
        creation_date: meta.creation_date,
      });
    }
    return super.getUpload(id);
  }

  /** The uploads sweeper removes expired uploads of both protocols. */
  override async deleteExpired(): Promise<number> {
    return 0;
  }
}

/** Where tus keeps the bytes of uploads in progress (the uploads service sweeps it). */
export function tusDirectory(ctx: AppContext): string {
  return ctx.uploads.tusDir;
}

export function createTusServer(ctx: AppContext): Server {
  const { config, delivery, uploads } = ctx;
  const ttlMs = config.limits.uploadTtlSeconds * 1000;
  const any = config.corsOrigins.includes('*');

  const grantFor = async (req: Request, metadata: Record<string, string | null>): Promise<Grant> => {
    const url = new URL(req.url);
    const rest = url.pathname.slice(TUS_PREFIX.length).replace(/^\/+/, '');
    const target = rest ? parseDeliveryPath(`/${rest}${url.search}`) : null;
    const auth = await keyAuth(ctx.projects, req.headers.get('authorization') ?? undefined);
    if (target) {
      const grant = await delivery.authorizeWrite({
        projectId: target.projectId,
        path: target.path,
        signed: target.signed,
        auth,
      });
      return { ...grant, ...uploadTarget(target.segments) };
    }
    if (!auth) {
      throw new AppError(
        'token_missing',
        'tus uploads need "Authorization: Bearer <API key>", or a signed PUT URL under /tus/ as the endpoint.',
      );
    }
    const name = metadata.filename ?? metadata.name ?? '';
    const folder = metadata.folder ?? '';
    if (!name) {
      throw new AppError('request_invalid', 'Upload-Metadata needs "filename" (or "name") for the new file.');
    }
    return { ...auth, ...uploadTarget([...folder.split('/'), ...name.split('/').slice(-1)]) };
  };

  const server = new Server({
    path: TUS_PREFIX,
    datastore: new TusFileStore(uploads, ttlMs),
    maxSize: config.limits.uploadBytes,
    namingFunction: () => newId('upl', 24),
    generateUrl: (_req, { id }) => `${config.deliveryUrl}${TUS_PREFIX}/${id}`,
    allowedOrigins: any ? undefined : config.corsOrigins,
    allowedHeaders: ['Accept-Version', 'ACCEPT_VERSION', 'Ittybit-Version'],
    exposedHeaders: ['Mediary-File-Id', 'Mediary-File-Url'],
    disableTerminationForFinishedUploads: true,
    onUploadCreate: async (req, upload) => {
      try {
        const grant = await grantFor(req, upload.metadata ?? {});
        return { metadata: { ...(upload.metadata ?? {}), [GRANT_KEY]: JSON.stringify(grant) } };
      } catch (err) {
        throw tusError(err);
      }
    },
    onUploadFinish: async (_req, upload) => {
      try {
        // one finisher per upload, also across processes; the others answer as tus does
        const file = await uploads.finishTus(upload.id);
        if (!file) return {};
        return { headers: { 'Mediary-File-Id': file.id, 'Mediary-File-Url': ctx.serializer.fileUrl(file) } };
      } catch (err) {
        throw tusError(err);
      }
    },
    onResponseError: (_req, err) => (err instanceof AppError ? tusError(err) : undefined),
  });
  return server;
}
