// Tiny test media generated with ffmpeg and sharp, and a loopback HTTP server to ingest them from.
import { execFile } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

const run = promisify(execFile);

export async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export interface Fixtures {
  dir: string;
  mp4: string;
  png: string;
  mp3: string;
  truncatedMp4: string;
  randomBin: string;
  text: string;
  empty: string;
  /** a 30000×30000 PNG decompression bomb */
  bombPng: string;
}

export async function makeFixtures(): Promise<Fixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'mediary-fx-'));
  const f: Fixtures = {
    dir,
    mp4: join(dir, 'clip.mp4'),
    png: join(dir, 'pixel.png'),
    mp3: join(dir, 'tone.mp3'),
    truncatedMp4: join(dir, 'truncated.mp4'),
    randomBin: join(dir, 'random.mp4'),
    text: join(dir, 'notes.txt'),
    empty: join(dir, 'empty.mp4'),
    bombPng: join(dir, 'bomb.png'),
  };
  bombPng(f.bombPng, 30000, 30000);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=320x180:rate=25:duration=2',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    '-movflags',
    '+faststart',
    f.mp4,
  ]);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:duration=1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    f.mp3,
  ]);
  await sharp({
    create: { width: 64, height: 48, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } },
  })
    .png()
    .toFile(f.png);
  const mp4 = await import('node:fs/promises').then((fs) => fs.readFile(f.mp4));
  await writeFile(f.truncatedMp4, mp4.subarray(0, Math.floor(mp4.length / 3)));
  const { randomBytes } = await import('node:crypto');
  await writeFile(f.randomBin, randomBytes(50_000));
  await writeFile(f.text, 'just some words, not media\n'.repeat(100));
  await writeFile(f.empty, '');
  return f;
}

/** A PNG whose header claims width×height of 1-bit grey: a few KB on disk, gigabytes once decoded. */
export function bombPng(path: string, width: number, height: number): void {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // 1-bit greyscale keeps even the compressed rows small
  // every row: filter byte 0 + zero bits
  const rows = Buffer.alloc(2000 * (1 + Math.ceil(width / 8)));
  const idat = deflateSync(rows, { level: constants.Z_BEST_COMPRESSION });
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  writeFileSync(
    path,
    Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]),
  );
}

export interface MediaServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves files by name, plus a few misbehaving routes: /slow (headers, then silence), /huge (endless
 * chunked bytes), /redirect?to=URL.
 */
export async function startMediaServer(files: Record<string, string>): Promise<MediaServer> {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/slow') {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      res.write(Buffer.alloc(10));
      return; // never ends
    }
    if (u.pathname === '/huge') {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (res.write(chunk)) {
          /* keep writing until backpressure */
        }
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
      return;
    }
    if (u.pathname === '/redirect') {
      res.writeHead(302, { location: u.searchParams.get('to') ?? '/' });
      return res.end();
    }
    const path = files[u.pathname.slice(1)];
    if (!path) {
      res.writeHead(404);
      return res.end('not found');
    }
    const st = await stat(path);
    res.writeHead(200, { 'content-length': String(st.size), 'content-type': 'application/octet-stream' });
    createReadStream(path).pipe(res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
