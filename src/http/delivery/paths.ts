// Delivery URLs are /{project id}/{folder…}/{filename}. The path is taken from the raw request URL (not the
// router's params) so that the signed string can be checked against exactly what the client sent.
import { AppError } from '../../lib/errors.js';
import type { SignedRequest } from '../../services/signatures.service.js';

export interface DeliveryPath {
  projectId: string;
  /** decoded segments after the project id; empty segments dropped */
  segments: string[];
  /** decoded path after the project id, without leading slash */
  path: string;
  /** the same path as it appeared in the URL (still percent-encoded) */
  rawPath: string;
  /** signature query values, when the URL carries any */
  signed: SignedRequest | null;
}

/** Parses "/prj_x/a/b.mp4?expiry=…" (leading `prefix`, e.g. "/tus", already removed by the caller). */
export function parseDeliveryPath(url: string): DeliveryPath {
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const parts = pathname.replace(/^\/+/, '').split('/');
  const projectId = parts[0] ?? '';
  const rawSegments = parts.slice(1);
  const segments: string[] = [];
  for (const raw of rawSegments) {
    if (raw === '') continue;
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      throw new AppError('request_invalid', 'The URL path is not valid percent-encoding.');
    }
  }
  const path = segments.join('/');
  const rawPath = rawSegments.join('/');
  const signature = query.get('signature') ?? undefined;
  const expiry = query.get('expiry') ?? undefined;
  const signed =
    signature !== undefined || expiry !== undefined
      ? { paths: [path, rawPath], expiry, method: query.get('method') ?? undefined, signature }
      : null;
  return { projectId, segments, path, rawPath, signed };
}
