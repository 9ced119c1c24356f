import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp dir for one test file; call the returned cleanup in afterAll. */
export function tempDir(prefix = 'mediary-media-'): {
  dir: string;
  path: (name: string) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
    stdio: 'pipe',
  });
}

export interface ProbeFacts {
  streams: Array<
    Record<string, unknown> & { codec_type: string; codec_name: string; width?: number; height?: number }
  >;
  format: { duration?: string; format_name: string };
}

export function ffprobe(path: string): ProbeFacts {
  const out = execFileSync(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as ProbeFacts;
}

export const videoStream = (p: ProbeFacts) => p.streams.find((s) => s.codec_type === 'video');
export const audioStream = (p: ProbeFacts) => p.streams.find((s) => s.codec_type === 'audio');

/** Tiny test clip: testsrc2 picture + sine tone. */
export function makeClip(
  out: string,
  opts: {
    size?: string;
    duration?: number;
    rate?: number;
    audio?: boolean;
    video?: string[];
    extra?: string[];
  } = {},
): string {
  const size = opts.size ?? '160x90';
  const duration = opts.duration ?? 1;
  const rate = opts.rate ?? 25;
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=${duration}`];
  if (opts.audio !== false)
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`);
  args.push(...(opts.video ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']));
  args.push(...(opts.extra ?? []), out);
  ffmpeg(args);
  return out;
}

export function makeTone(out: string, codecArgs: string[], duration = 1): string {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${duration}`,
    ...codecArgs,
    out,
  ]);
  return out;
}

/**
 * Builds a HEIC still: ffmpeg encodes one HEVC frame into MP4, and its hvcC box and sample are
 * rewrapped as a HEIF item (ftyp/meta/mdat). sharp's libvips here cannot write HEIC, and no binary
 * sample has to be committed this way.
 */
export function makeHeic(out: string, width = 64, height = 48): string {
  const mp4 = `${out}.mp4`;
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=1`,
    '-frames:v',
    '1',
    '-c:v',
    'libx265',
    '-x265-params',
    'log-level=error',
    '-pix_fmt',
    'yuv420p',
    '-tag:v',
    'hvc1',
    mp4,
  ]);
  const src = readFileSync(mp4);
  rmSync(mp4);
  const top: Record<string, { pos: number; size: number }> = {};
  for (let p = 0; p + 8 <= src.length; ) {
    const size = src.readUInt32BE(p);
    top[src.toString('latin1', p + 4, p + 8)] = { pos: p, size };
    p += size;
  }
  const data = src.subarray(top.mdat.pos + 8, top.mdat.pos + top.mdat.size);
  const h = src.indexOf('hvcC', top.moov.pos);
  const hvcC = src.subarray(h - 4, h - 4 + src.readUInt32BE(h - 4));

  const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const box = (type: string, ...parts: Buffer[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
  };
  const full = (type: string, version: number, ...parts: Buffer[]) => box(type, u32(version << 24), ...parts);
  const ftyp = box('ftyp', Buffer.from('heic'), u32(0), Buffer.from('mif1heic'));
  const meta = (offset: number) =>
    full(
      'meta',
      0,
      full('hdlr', 0, u32(0), Buffer.from('pict'), Buffer.alloc(12), Buffer.from([0])),
      full('pitm', 0, u16(1)),
      full(
        'iloc',
        0,
        Buffer.from([0x44, 0x00]),
        u16(1),
        u16(1),
        u16(0),
        u16(1),
        u32(offset),
        u32(data.length),
      ),
      full('iinf', 0, u16(1), full('infe', 2, u16(1), u16(0), Buffer.from('hvc1'), Buffer.from([0]))),
      box(
        'iprp',
        box('ipco', hvcC, full('ispe', 0, u32(width), u32(height))),
        full('ipma', 0, u32(1), u16(1), Buffer.from([2, 0x81, 0x02])),
      ),
    );
  const offset = ftyp.length + meta(0).length + 8;
  writeFileSync(out, Buffer.concat([ftyp, meta(offset), box('mdat', data)]));
  return out;
}
