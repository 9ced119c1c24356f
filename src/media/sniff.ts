import { open } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';

export type MediaKind = 'video' | 'image' | 'audio';

export interface Sniffed {
  mime: string;
  ext: string;
  kind: MediaKind;
}

/** file-type's answer → what mediary accepts. Anything not listed (text, archives, PDFs …) is not media. */
const ACCEPTED: Record<string, Sniffed> = {
  mp4: { mime: 'video/mp4', ext: 'mp4', kind: 'video' },
  m4v: { mime: 'video/mp4', ext: 'mp4', kind: 'video' },
  mov: { mime: 'video/quicktime', ext: 'mov', kind: 'video' },
  '3gp': { mime: 'video/3gpp', ext: '3gp', kind: 'video' },
  webm: { mime: 'video/webm', ext: 'webm', kind: 'video' },
  mkv: { mime: 'video/x-matroska', ext: 'mkv', kind: 'video' },
  avi: { mime: 'video/x-msvideo', ext: 'avi', kind: 'video' },
  ogv: { mime: 'video/ogg', ext: 'ogv', kind: 'video' },
  m4a: { mime: 'audio/mp4', ext: 'm4a', kind: 'audio' },
  m4b: { mime: 'audio/mp4', ext: 'm4a', kind: 'audio' },
  mp3: { mime: 'audio/mpeg', ext: 'mp3', kind: 'audio' },
  wav: { mime: 'audio/wav', ext: 'wav', kind: 'audio' },
  flac: { mime: 'audio/flac', ext: 'flac', kind: 'audio' },
  aac: { mime: 'audio/aac', ext: 'aac', kind: 'audio' },
  ogg: { mime: 'audio/ogg', ext: 'ogg', kind: 'audio' },
  oga: { mime: 'audio/ogg', ext: 'ogg', kind: 'audio' },
  opus: { mime: 'audio/ogg', ext: 'opus', kind: 'audio' },
  jpg: { mime: 'image/jpeg', ext: 'jpg', kind: 'image' },
  png: { mime: 'image/png', ext: 'png', kind: 'image' },
  apng: { mime: 'image/png', ext: 'png', kind: 'image' },
  gif: { mime: 'image/gif', ext: 'gif', kind: 'image' },
  webp: { mime: 'image/webp', ext: 'webp', kind: 'image' },
  avif: { mime: 'image/avif', ext: 'avif', kind: 'image' },
  tif: { mime: 'image/tiff', ext: 'tiff', kind: 'image' },
  heic: { mime: 'image/heic', ext: 'heic', kind: 'image' },
};

/**
 * What the file's bytes say it is, or null when it is not a media type mediary handles. The name and
 * the client's Content-Type are never trusted.
 */
export async function sniffFile(path: string): Promise<Sniffed | null> {
  let detected: { ext: string; mime: string } | undefined;
  try {
    detected = await fileTypeFromFile(path);
  } catch (err) {
    // an unreadable path is the caller's problem, not a verdict on the bytes
    if ((err as NodeJS.ErrnoException).code) throw err;
    return null;
  }
  if (!detected) return null;
  const base = ACCEPTED[detected.ext];
  if (!base) return null;
  const result = { ...base };

  if (detected.ext === 'heic') {
    // keep the HEIF/HEIC distinction file-type draws from the brand; sequences are still images to us
    const heif = detected.mime.startsWith('image/heif');
    result.mime = heif ? 'image/heif' : 'image/heic';
    result.ext = heif ? 'heif' : 'heic';
  }

  if (result.ext === 'mp4' || result.ext === 'mov' || result.ext === '3gp') {
    // MP4/MOV brands do not say whether there is picture; the track handlers do.
    const handlers = await isoTrackHandlers(path).catch(() => null);
    if (handlers && !handlers.has('vide') && handlers.has('soun')) {
      return { mime: 'audio/mp4', ext: 'm4a', kind: 'audio' };
    }
  }
  return result;
}

const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const CONTAINER_BOXES = new Set(['moov', 'trak', 'mdia']);

/**
 * Handler types ('vide', 'soun', …) of the tracks in an ISO-BMFF file, reading box headers only and
 * skipping the media data, so it is cheap even for multi-GB files with the moov box at the end.
 */
async function isoTrackHandlers(path: string): Promise<Set<string> | null> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const header = Buffer.alloc(16);
    let pos = 0;
    while (pos + 8 <= size) {
      const { bytesRead } = await fh.read(header, 0, 16, pos);
      if (bytesRead < 8) return null;
      let boxSize = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      let headerLen = 8;
      if (boxSize === 1) {
        if (bytesRead < 16) return null;
        boxSize = Number(header.readBigUInt64BE(8));
        headerLen = 16;
      } else if (boxSize === 0) {
        boxSize = size - pos;
      }
      if (boxSize < headerLen) return null;
      if (type === 'moov') {
        if (boxSize > MAX_MOOV_BYTES || pos + boxSize > size) return null;
        const moov = Buffer.alloc(boxSize - headerLen);
        await fh.read(moov, 0, moov.length, pos + headerLen);
        const handlers = new Set<string>();
        collectHandlers(moov, 'moov', handlers);
        return handlers;
      }
      pos += boxSize;
    }
    return null;
  } finally {
    await fh.close();
  }
}

function collectHandlers(buf: Buffer, parent: string, out: Set<string>): void {
  let pos = 0;
  while (pos + 8 <= buf.length) {
    let boxSize = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let headerLen = 8;
    if (boxSize === 1 && pos + 16 <= buf.length) {
      boxSize = Number(buf.readBigUInt64BE(pos + 8));
      headerLen = 16;
    } else if (boxSize === 0) {
      boxSize = buf.length - pos;
    }
    if (boxSize < headerLen || pos + boxSize > buf.length) return;
    const body = buf.subarray(pos + headerLen, pos + boxSize);
    if (CONTAINER_BOXES.has(type)) {
      collectHandlers(body, type, out);
    } else if (type === 'hdlr' && parent === 'mdia' && body.length >= 12) {
      // full box: version+flags (4), pre_defined (4), handler_type (4)
      out.add(body.toString('latin1', 8, 12));
    }
    pos += boxSize;
  }
}
