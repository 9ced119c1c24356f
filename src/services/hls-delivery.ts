// How an HLS package is delivered. The master is the File; its parts are addressed under the file's id:
// `{project}/{file id}/{part}` ("prj_…/file_…/720p/seg_00001.m4s"), so they are immutable whatever path
// the master was opened by. The delivery host rewrites every playlist it serves: the master's child URIs are
// made relative to where the master was requested ("../file_…/720p/index.m3u8"), which works behind any
// origin or proxy, and for a signed (private) package every child URI gets `expiry` and a signature made
// for the package (SignaturesService.signPackage), which players pass on to the segments without cookies.
import { hlsPartType } from '../media/hls.js';

/** A part name: "{rendition}/{file}", as the adaptive_video runner writes them. */
const PART = /^([A-Za-z0-9_-]{1,40}\/[A-Za-z0-9_.-]{1,100}\.(?:m3u8|m4s|mp4|ts|vtt|aac))$/;

/** Splits a delivery path into the package it names and the part within it, when it has that shape. */
export function splitPartPath(path: string): { packagePath: string; part: string } | null {
  const segments = path.split('/');
  if (segments.length < 3) return null;
  const part = segments.slice(-2).join('/');
  if (!PART.test(part) || part.split('/').some((s) => s === '.' || s === '..')) return null;
  return { packagePath: segments.slice(0, -2).join('/'), part };
}

export const partContentType = hlsPartType;

export const isPlaylist = (name: string) => name.endsWith('.m3u8');

/** The query string child URIs carry: `expiry=…&signature=…`, or nothing for a public package. */
export interface ChildQuery {
  expiry: number;
  signature: string;
}

function withQuery(uri: string, q: ChildQuery | null): string {
  if (!q) return uri;
  return `${uri}${uri.includes('?') ? '&' : '?'}expiry=${q.expiry}&signature=${q.signature}`;
}

/** Applies `fn` to every URI of a playlist: lines that are not tags, and URI="…" attributes of tags. */
function mapUris(text: string, fn: (uri: string) => string): string {
  return text
    .split('\n')
    .map((line) => {
      const t = line.trim();
      if (!t) return line;
      if (!t.startsWith('#')) return fn(t);
      return line.replace(/URI="([^"]+)"/g, (_m, uri: string) => `URI="${fn(uri)}"`);
    })
    .join('\n');
}

const isAbsolute = (uri: string) => /^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/');

/**
 * The master as served at a path `depth` segments below the project (1 for "file_x.m3u8", 2 for
 * "videos/clip.m3u8"): child URIs point at `{file id}/{child}` relative to it.
 */
export function rewriteMaster(text: string, fileId: string, depth: number, q: ChildQuery | null): string {
  const base = `${'../'.repeat(Math.max(0, depth - 1))}${fileId}/`;
  return mapUris(text, (uri) => (isAbsolute(uri) ? uri : withQuery(base + uri, q)));
}

/** A media playlist: its segment URIs stay relative (they sit beside it) and carry the package's query. */
export function rewriteMediaPlaylist(text: string, q: ChildQuery | null): string {
  if (!q) return text;
  return mapUris(text, (uri) => (isAbsolute(uri) ? uri : withQuery(uri, q)));
}
