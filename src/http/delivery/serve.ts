// GET/HEAD of a delivery URL: access check, conditional requests, one byte range, and a stream from the blob
// store (or a redirect to a presigned S3 URL). Nothing is buffered: the blob stream is piped to the socket.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { BlobNotFoundError, type ByteRange } from '../../blobs/blob-store.js';
import { AppError } from '../../lib/errors.js';
import type { DeliveryService, ReadGrant } from '../../services/delivery.service.js';
import { rewriteMaster, rewriteMediaPlaylist } from '../../services/hls-delivery.js';
import { keyAuth } from './key-auth.js';
import { parseDeliveryPath } from './paths.js';

const YEAR = 31_536_000;
const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;
const HLS_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** One `bytes=` range against `size`; null when absent, malformed or multiple (then the whole file is sent). */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^\s*bytes=(\d*)-(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end };
}

function etagMatches(header: string, etag: string): boolean {
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === etag;
  });
}

function cacheControl(grant: ReadGrant, signedExpiry: number | undefined): string {
  if (grant.playlist) {
    // playlists are short-lived (they are rewritten per request); the master at a path may be replaced
    if (grant.private) return 'private, no-cache';
    return grant.byId ? 'public, max-age=60' : 'public, no-cache';
  }
  if (grant.part && !grant.private) return `public, max-age=${YEAR}, immutable`;
  if (grant.part && signedExpiry === undefined) return 'private, no-cache';
  if (grant.part) {
    const left = Math.max(0, Math.min(YEAR, signedExpiry! - Math.floor(Date.now() / 1000)));
    return `private, max-age=${left}`;
  }
  if (!grant.private) return grant.byId ? `public, max-age=${YEAR}, immutable` : 'public, no-cache';
  if (grant.byId && signedExpiry !== undefined) {
    const left = Math.max(0, Math.min(YEAR, signedExpiry - Math.floor(Date.now() / 1000)));
    return `private, max-age=${left}`;
  }
  return 'private, no-cache';
}

export function serveRoute(ctx: AppContext, delivery: DeliveryService) {
  const { blobs, config } = ctx;

  async function partSize(key: string): Promise<number> {
    const st = await blobs.stat(key);
    if (!st) throw new AppError('not_found', 'This part of the package does not exist.');
    return st.size;
  }

  /** A package's playlist, rewritten for where it was asked for and how it was signed (hls-delivery.ts). */
  async function servePlaylist(req: FastifyRequest, reply: FastifyReply, grant: ReadGrant, depth: number) {
    const { file, playlist } = grant;
    const key = grant.part?.key ?? (file.blob_key as string);
    let text: string;
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of await blobs.get(key)) {
        total += (chunk as Buffer).length;
        if (total > MAX_PLAYLIST_BYTES)
          throw new Error(`playlist ${key} is over ${MAX_PLAYLIST_BYTES} bytes`);
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof BlobNotFoundError) {
        reply.header('cache-control', 'no-store');
        throw new AppError('not_found', 'This part of the package does not exist.');
      }
      throw err;
    }
    const q = playlist?.childQuery ?? null;
    const body = Buffer.from(
      playlist?.master ? rewriteMaster(text, file.id, depth, q) : rewriteMediaPlaylist(text, q),
    );
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    reply.header('etag', etag);
    reply.header('cache-control', cacheControl(grant, undefined));
    reply.header('accept-ranges', 'bytes');
    reply.header('x-content-type-options', 'nosniff');
    const inm = req.headers['if-none-match'];
    if (inm && etagMatches(inm, etag)) return reply.code(304).send();
    const range = parseRange(req.headers.range, body.length);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${body.length}`);
      reply.header('cache-control', 'no-store');
      throw new AppError(
        'range_not_satisfiable',
        `The range "${req.headers.range}" is outside the playlist.`,
      );
    }
    reply.type(HLS_CONTENT_TYPE);
    const slice = range ? body.subarray(range.start, range.end + 1) : body;
    if (range) {
      reply.code(206);
      reply.header('content-range', `bytes ${range.start}-${range.end}/${body.length}`);
    }
    reply.header('content-length', String(slice.length));
    return reply.send(req.method === 'HEAD' ? undefined : slice);
  }

  return async (req: FastifyRequest, reply: FastifyReply) => {
    const target = parseDeliveryPath(req.url);
    const auth = await keyAuth(ctx.projects, req.headers.authorization);
    const grant = await delivery.authorizeRead({
      projectId: target.projectId,
      path: target.path,
      signed: target.signed,
      auth,
    });
    const file = grant.file;
    if (grant.playlist) return servePlaylist(req, reply, grant, target.segments.length);
    const blobKey = grant.part?.key ?? (file.blob_key as string);
    const size = grant.part ? await partSize(blobKey) : file.filesize;
    const etag = grant.part ? `"${file.id}/${grant.part.name}"` : `"${file.id}"`;
    const modified = new Date(file.created);
    modified.setUTCMilliseconds(0);
    const signedExpiry = target.signed?.expiry ? Number(target.signed.expiry) : undefined;

    reply.header('etag', etag);
    reply.header('last-modified', modified.toUTCString());
    reply.header('cache-control', cacheControl(grant, signedExpiry));
    reply.header('accept-ranges', 'bytes');
    reply.header('x-content-type-options', 'nosniff');

    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if (inm ? etagMatches(inm, etag) : ims && modified.getTime() <= Date.parse(ims)) {
      return reply.code(304).send();
    }

    if (config.s3?.delivery === 'redirect' && blobs.presignedGetUrl && blobKey) {
      const ttl = signedExpiry
        ? Math.max(1, Math.min(3600, signedExpiry - Math.floor(Date.now() / 1000)))
        : 3600;
      const url = await blobs.presignedGetUrl(blobKey, ttl, grant.part?.type ?? file.type);
      reply.header('cache-control', 'private, no-store');
      return reply.redirect(url, 302);
    }

    const ifRange = [req.headers['if-range']].flat()[0];
    const rangeAllowed =
      !ifRange || ifRange === etag || (!ifRange.startsWith('"') && Date.parse(ifRange) >= modified.getTime());
    const range = rangeAllowed ? parseRange(req.headers.range, size) : null;
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${size}`);
      reply.header('cache-control', 'no-store');
      throw new AppError(
        'range_not_satisfiable',
        `The range "${req.headers.range}" is outside the file (${size} bytes).`,
      );
    }
    reply.type(grant.part?.type ?? file.type);
    if (range) {
      reply.code(206);
      reply.header('content-range', `bytes ${range.start}-${range.end}/${size}`);
      reply.header('content-length', String(range.end - range.start + 1));
    } else {
      reply.code(200);
      reply.header('content-length', String(size));
    }
    if (req.method === 'HEAD') return reply.send();
    try {
      const stream = await blobs.get(blobKey, range ?? undefined);
      return reply.send(stream);
    } catch (err) {
      if (err instanceof BlobNotFoundError) {
        req.log.error({ err, fileId: file.id }, 'file row without its blob');
        reply.header('cache-control', 'no-store');
        throw new AppError('not_found', `The bytes of ${file.id} are missing.`);
      }
      throw err;
    }
  };
}
