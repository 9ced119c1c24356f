// User-given folder and filename only ever form the public URL path, never a disk path. They are sanitised
// with the whitelist ittybit's own client uses (spec §8.2), minus "%", so a path never needs decoding twice.

const MAX_SEGMENT = 200;
const MAX_PATH = 1000;

export function sanitizeSegment(raw: string): string {
  let s = raw.normalize('NFC').replace(/[^A-Za-z0-9._\-,[\]()+~]/g, '_');
  if (/^\.+$/.test(s)) s = s.replace(/\./g, '_');
  if (s.length > MAX_SEGMENT) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 10 ? s.slice(dot) : '';
    s = s.slice(0, MAX_SEGMENT - ext.length) + ext;
  }
  return s;
}

/** "a//b/../c\\d" → "a/b/__/c_d"; empty → null. Backslashes are not separators. */
export function sanitizeFolder(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const parts = String(raw)
    .split('/')
    .filter((p) => p.length > 0)
    .map(sanitizeSegment);
  const folder = parts.join('/');
  if (!folder) return null;
  return folder.slice(0, MAX_PATH);
}

export function sanitizeFilename(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const last = String(raw).split('/').filter(Boolean).pop() ?? '';
  const s = sanitizeSegment(last);
  return s || null;
}

export function joinPath(folder: string | null, filename: string): string {
  return folder ? `${folder}/${filename}` : filename;
}

/** What encodeURIComponent leaves as it is, and `/`: a path made only of these needs no encoding. */
const PLAIN_PATH = /^[A-Za-z0-9\-_.!~*'()/]*$/;

/** URL-encodes each segment of a sanitised path (encodeURIComponent), the slashes kept. */
export function encodePath(path: string): string {
  // most stored paths (ids, sanitized names) are plain: one test instead of a split, a map and a join
  if (PLAIN_PATH.test(path)) return path;
  return path.split('/').map(encodeURIComponent).join('/');
}

export function extOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot + 1).toLowerCase() : '';
}

/** A root path the delivery host reads as a file id (`file_…`, optionally with an extension). */
export const ID_PATH = /^(file_[A-Za-z0-9]{1,64})(\.[A-Za-z0-9]{1,10})?$/;

/**
 * By-id URLs never change, so no file may take a root path that names a file id, except its own (the
 * default filename of a file without a folder is `{its id}.{ext}`). Returns the refusal message, if any.
 */
export function idShapedPathProblem(path: string, ownId?: string): string | undefined {
  const m = ID_PATH.exec(path);
  if (!m || m[1] === ownId) return undefined;
  return `"${path}" is shaped like a file id, which the delivery host reserves for by-id URLs; put it in a folder or rename it.`;
}
