// An HLS package after ffmpeg wrote it: the media playlists read back, each rendition's real bandwidth
// measured from its segments, its RFC 6381 codec read from the stream's SPS, the master playlist written,
// and the list of parts to store. ffmpeg's own master (-master_pl_name) is not used: it guesses BANDWIDTH
// from the target rate and omits AVERAGE-BANDWIDTH; the measured values are what players budget with.
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { HlsPlan } from './hls-ladder.js';

export const HLS_MIME = 'application/vnd.apple.mpegurl';

/** Content type of a part of a package, by its name. */
export function hlsPartType(name: string): string {
  if (name.endsWith('.m3u8')) return HLS_MIME;
  if (name.endsWith('.m4s')) return 'video/iso.segment';
  if (name.endsWith('.ts')) return 'video/mp2t';
  if (name.endsWith('.mp4')) return 'video/mp4';
  if (name.endsWith('.vtt')) return 'text/vtt';
  return 'application/octet-stream';
}

export interface MediaPlaylistFacts {
  /** segment URIs as written (relative to the playlist) */
  segments: { uri: string; duration: number }[];
  /** the EXT-X-MAP init segment, for fMP4 */
  init: string | null;
  duration: number;
}

/** Reads the segment list of a media playlist (what ffmpeg's hls muxer writes). */
export function parseMediaPlaylist(text: string): MediaPlaylistFacts {
  const segments: { uri: string; duration: number }[] = [];
  let init: string | null = null;
  let pending: number | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#EXTINF:')) pending = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-MAP:')) init = /URI="([^"]+)"/.exec(line)?.[1] ?? null;
    else if (!line.startsWith('#')) {
      segments.push({ uri: line, duration: pending ?? 0 });
      pending = null;
    }
  }
  return { segments, init, duration: segments.reduce((s, x) => s + x.duration, 0) };
}

export interface VariantEntry {
  uri: string;
  /** peak segment bit rate, audio included */
  bandwidth: number;
  averageBandwidth: number;
  width: number;
  height: number;
  codecs: string;
  fps: number;
}

export interface AudioEntry {
  uri: string;
  channels: number;
}

/** The master playlist text. Variants are listed highest first; audio is one shared group. */
export interface IframeEntry {
  uri: string;
  bandwidth: number;
  width: number;
  height: number;
  codecs: string;
}

export function buildMasterPlaylist(
  variants: readonly VariantEntry[],
  audio: AudioEntry | null,
  iframes: readonly IframeEntry[] = [],
): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (audio) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",LANGUAGE="und",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="${audio.channels}",URI="${audio.uri}"`,
    );
  }
  for (const v of variants) {
    const attrs = [
      `BANDWIDTH=${v.bandwidth}`,
      `AVERAGE-BANDWIDTH=${v.averageBandwidth}`,
      `RESOLUTION=${v.width}x${v.height}`,
      `CODECS="${v.codecs}"`,
      `FRAME-RATE=${v.fps.toFixed(3)}`,
      ...(audio ? ['AUDIO="audio"'] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`, v.uri);
  }
  for (const f of iframes) {
    lines.push(
      `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=${f.bandwidth},RESOLUTION=${f.width}x${f.height},CODECS="${f.codecs}",URI="${f.uri}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();

/**
 * "avc1.PPCCLL" from the first H.264 SPS in a buffer: the avcC box of an fMP4 init segment, or an Annex B
 * start code (MPEG-TS). Null when none is found.
 */
export function avcCodecFrom(buf: Buffer): string | null {
  const avcc = buf.indexOf('avcC');
  if (avcc >= 0 && avcc + 8 <= buf.length) {
    return `avc1.${hex2(buf[avcc + 5])}${hex2(buf[avcc + 6])}${hex2(buf[avcc + 7])}`;
  }
  for (let i = buf.indexOf(Buffer.from([0, 0, 1])); i >= 0; i = buf.indexOf(Buffer.from([0, 0, 1]), i + 1)) {
    if (i + 6 < buf.length && (buf[i + 3] & 0x1f) === 7) {
      return `avc1.${hex2(buf[i + 4])}${hex2(buf[i + 5])}${hex2(buf[i + 6])}`;
    }
  }
  return null;
}

/** The child boxes of an ISO BMFF box body (or of a whole file): type → [start, end) of each, in order. */
function boxes(buf: Buffer, start: number, end: number): { type: string; start: number; end: number }[] {
  const out: { type: string; start: number; end: number }[] = [];
  for (let p = start; p + 8 <= end; ) {
    const size = buf.readUInt32BE(p);
    if (size < 8 || p + size > end) break;
    out.push({ type: buf.toString('latin1', p + 4, p + 8), start: p, end: p + size });
    p += size;
  }
  return out;
}

/**
 * Where the key frame that starts an fMP4 media segment lies: from its `moof` to the end of the first
 * sample (what an I-frame playlist's EXT-X-BYTERANGE names). Null when the segment is not in that shape.
 */
export function keyFrameRange(buf: Buffer): { offset: number; length: number } | null {
  const moof = boxes(buf, 0, buf.length).find((b) => b.type === 'moof');
  if (!moof) return null;
  const traf = boxes(buf, moof.start + 8, moof.end).find((b) => b.type === 'traf');
  if (!traf) return null;
  const inner = boxes(buf, traf.start + 8, traf.end);
  const tfhd = inner.find((b) => b.type === 'tfhd');
  const trun = inner.find((b) => b.type === 'trun');
  if (!tfhd || !trun) return null;
  let defaultSize: number | undefined;
  const hFlags = buf.readUInt32BE(tfhd.start + 8) & 0xffffff;
  let h = tfhd.start + 16;
  if (hFlags & 0x1) h += 8;
  if (hFlags & 0x2) h += 4;
  if (hFlags & 0x8) h += 4;
  if (hFlags & 0x10) defaultSize = buf.readUInt32BE(h);
  const flags = buf.readUInt32BE(trun.start + 8) & 0xffffff;
  let p = trun.start + 16;
  if (!(flags & 0x1)) return null; // no data offset: the sample's place is not stated
  const dataOffset = buf.readInt32BE(p);
  p += 4;
  if (flags & 0x4) p += 4;
  if (flags & 0x100) p += 4;
  const size = flags & 0x200 ? buf.readUInt32BE(p) : defaultSize;
  if (!size || dataOffset <= 0) return null;
  return { offset: moof.start, length: dataOffset + size };
}

/** An I-frame-only playlist: one entry per segment, the byte range of its opening key frame. */
export function buildIframePlaylist(
  init: string,
  entries: readonly { uri: string; duration: number; offset: number; length: number }[],
): string {
  const target = Math.max(1, ...entries.map((e) => Math.ceil(e.duration)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-I-FRAMES-ONLY',
    `#EXT-X-MAP:URI="${init}"`,
  ];
  for (const e of entries) {
    lines.push(`#EXTINF:${e.duration.toFixed(6)},`, `#EXT-X-BYTERANGE:${e.length}@${e.offset}`, e.uri);
  }
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

interface Measured {
  facts: MediaPlaylistFacts;
  peak: number;
  average: number;
  bytes: number;
}

async function measure(dir: string, playlist: string): Promise<Measured> {
  const path = join(dir, playlist);
  const facts = parseMediaPlaylist(await readFile(path, 'utf8'));
  const base = join(path, '..');
  let peak = 0;
  let bytes = 0;
  for (const s of facts.segments) {
    const size = (await stat(join(base, s.uri))).size;
    bytes += size;
    // a short last segment says little about the rate; it still counts in the average
    if (s.duration >= 0.5) peak = Math.max(peak, (size * 8) / s.duration);
  }
  const average = facts.duration > 0 ? (bytes * 8) / facts.duration : 0;
  return { facts, peak: Math.round(peak || average), average: Math.round(average), bytes };
}

export interface FinishedPackage {
  /** the master playlist, written into the output dir */
  masterPath: string;
  /** every other file of the package, by its name relative to the master */
  parts: { localPath: string; name: string; type: string }[];
  /** bytes of the whole package, master included */
  totalBytes: number;
  /** the longest rendition's duration, seconds */
  duration: number;
  /** the top rendition */
  width: number;
  height: number;
}

/** `{rendition}/iframes.m3u8` beside a media playlist; its URI and peak bandwidth, or null (not fMP4). */
async function writeIframePlaylist(
  outDir: string,
  playlist: string,
  facts: MediaPlaylistFacts,
): Promise<{ uri: string; bandwidth: number } | null> {
  const base = join(outDir, playlist, '..');
  const entries: { uri: string; duration: number; offset: number; length: number }[] = [];
  let peak = 0;
  for (const s of facts.segments) {
    // the key frame is at the front of a segment; its sample sizes are in the first few kB
    const range = keyFrameRange(await readHead(join(base, s.uri), 64 * 1024));
    if (!range) return null;
    entries.push({ uri: s.uri, duration: s.duration, ...range });
    if (s.duration > 0) peak = Math.max(peak, (range.length * 8) / s.duration);
  }
  if (!facts.init || entries.length === 0) return null;
  const uri = playlist.replace(/[^/]+$/, 'iframes.m3u8');
  await writeFile(join(outDir, uri), buildIframePlaylist(facts.init, entries));
  return { uri, bandwidth: Math.round(peak) };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** Measures the renditions ffmpeg wrote into outDir, writes the master playlist beside them. */
export async function finishHlsPackage(
  outDir: string,
  plan: HlsPlan,
  opts: { audioChannels?: number; iframes?: boolean } = {},
): Promise<FinishedPackage> {
  const audioChannels = opts.audioChannels ?? 2;
  const iframes: IframeEntry[] = [];
  const audio = plan.audioPlaylist ? await measure(outDir, plan.audioPlaylist) : null;
  const variants: VariantEntry[] = [];
  let duration = 0;
  for (const v of plan.variants) {
    const m = await measure(outDir, v.playlist);
    duration = Math.max(duration, m.facts.duration);
    const first = m.facts.init ?? m.facts.segments[0]?.uri;
    const head = first ? await readHead(join(outDir, v.playlist, '..', first), 64 * 1024) : Buffer.alloc(0);
    const video = avcCodecFrom(head) ?? 'avc1.640028';
    if (opts.iframes && m.facts.init) {
      const iframe = await writeIframePlaylist(outDir, v.playlist, m.facts);
      if (iframe) {
        iframes.push({ ...iframe, width: v.rendition.width, height: v.rendition.height, codecs: video });
      }
    }
    variants.push({
      uri: v.playlist,
      bandwidth: m.peak + (audio?.peak ?? 0),
      averageBandwidth: m.average + (audio?.average ?? 0),
      width: v.rendition.width,
      height: v.rendition.height,
      codecs: audio ? `${video},mp4a.40.2` : video,
      fps: plan.fps,
    });
  }
  const masterPath = join(outDir, 'master.m3u8');
  const master = buildMasterPlaylist(
    variants,
    audio && plan.audioPlaylist ? { uri: plan.audioPlaylist, channels: audioChannels } : null,
    iframes,
  );
  await writeFile(masterPath, master);
  const parts: FinishedPackage['parts'] = [];
  let totalBytes = Buffer.byteLength(master);
  for (const p of (await walk(outDir)).sort()) {
    if (p === masterPath) continue;
    const name = relative(outDir, p).split('\\').join('/');
    totalBytes += (await stat(p)).size;
    parts.push({ localPath: p, name, type: hlsPartType(name) });
  }
  const top = plan.variants[0]?.rendition;
  return {
    masterPath,
    parts,
    totalBytes,
    duration: Math.round(duration * 1000) / 1000,
    width: top?.width ?? 0,
    height: top?.height ?? 0,
  };
}
