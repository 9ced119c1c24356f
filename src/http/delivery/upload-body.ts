// The HTTP half of an upload: the Content-Range header, and the request stream written to a file the uploads
// service chooses (counting bytes, holding the declared length and the size limit, noticing a client that left).
import { createWriteStream } from 'node:fs';
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors.js';
import {
  type BodyLimits,
  type ContentRange,
  type UploadBody,
  uploadTooLarge,
} from '../../services/uploads.service.js';

/** Raised when the client goes away mid-body: there is nobody to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the body was complete');
    this.name = 'ClientGoneError';
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** `bytes=S-E/T` (ittybit's docs) or `bytes S-E/T` (RFC 9110, ittybit's app); E is inclusive. */
export function parseContentRange(header: string): ContentRange {
  // any number of digits parses: a TOTAL too large to hold is 413 (as documented), not a malformed header
  const m = /^\s*bytes[= ]\s*(\d{1,40})-(\d{1,40})\/(\d{1,40})\s*$/i.exec(header);
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

/**
 * Streams a request body into a file (or nowhere), counting bytes. The source is never destroyed here, so an
 * error can still be answered; a client that goes away rejects with ClientGoneError.
 */
export async function receiveBody(body: Readable, dest: string | null, limits: BodyLimits): Promise<number> {
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
      } else if (size > limits.max) cb(uploadTooLarge(limits.max));
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

function declaredLength(req: FastifyRequest): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || req.headers['transfer-encoding']) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The request's raw body, for the uploads service. */
export function requestBody(req: FastifyRequest): UploadBody {
  return {
    declaredLength: declaredLength(req),
    saveTo: (dest, limits) => receiveBody(req.raw, dest, limits),
  };
}
