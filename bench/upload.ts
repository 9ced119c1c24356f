// Upload and delivery throughput, each against a plain Node baseline in the same run:
//   1. PUT of an N MB file to the delivery port (HTTPS, through to File + Media) vs writing the same bytes
//      to the same disk with a plain Node write stream;
//   2. the server's peak RSS during that upload, above its idle RSS (the server runs in a child process);
//   3. Range GETs of that file through the delivery port vs a plain Node HTTPS static server on the same
//      file, same certificate.
// BENCH_UPLOAD_MB sets N (default 1024). Run alone: node bin/run-ts.js bench/upload.ts
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { fmt, freePort, startChild, stopChild } from './lib.js';

const MB = 1024 * 1024;
const SIZE_MB = Number(process.env.BENCH_UPLOAD_MB ?? 1024);
const RANGE_MB = 8;
const RANGE_PARALLEL = 4;

/** A valid PCM WAV of `bytes` bytes, generated from a 1 MB pattern so the source costs nothing. */
function wavStream(bytes: number): Readable {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(Math.min(0xffffffff, bytes - 8), 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(48000, 24);
  header.writeUInt32LE(192000, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(Math.min(0xffffffff, bytes - 44), 40);
  const pattern = Buffer.alloc(MB);
  for (let i = 0; i < MB; i++) pattern[i] = (i * 2654435761) >>> 24;
  return Readable.from(
    (function* () {
      yield header;
      let left = bytes - 44;
      while (left > 0) {
        const n = Math.min(left, MB);
        yield n === MB ? pattern : pattern.subarray(0, n);
        left -= n;
      }
    })(),
  );
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

function sampleRss(pid: number): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 25);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}

function put(
  url: string,
  agent: https.Agent,
  key: string,
  bytes: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'PUT',
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          'content-length': String(bytes),
          'content-type': 'audio/wav',
          'accept-version': '2025-08-20',
        },
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    wavStream(bytes).pipe(req);
  });
}

function getRange(url: string, agent: https.Agent, start: number, end: number): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent, headers: { range: `bytes=${start}-${end}` } }, (res) => {
        if (res.statusCode !== 206) reject(new Error(`${url}: HTTP ${res.statusCode}`));
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Reads the whole file as RANGE_MB ranges, RANGE_PARALLEL at a time; MB/s. */
async function rangeThroughput(url: string, agent: https.Agent, size: number): Promise<number> {
  const ranges: [number, number][] = [];
  for (let s = 0; s < size; s += RANGE_MB * MB) ranges.push([s, Math.min(size, s + RANGE_MB * MB) - 1]);
  let next = 0;
  let total = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: RANGE_PARALLEL }, async () => {
      while (next < ranges.length) {
        const [s, e] = ranges[next++];
        const n = await getRange(url, agent, s, e);
        total += n;
      }
    }),
  );
  if (total !== size) throw new Error(`read ${total} of ${size} bytes`);
  return size / MB / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** A plain HTTPS server that pipes a PUT body into a file: the transport's own ceiling. */
function sinkServer(file: string, tls: { key: string; cert: string }): https.Server {
  return https.createServer(tls, (req, res) => {
    pipeline(req, createWriteStream(file)).then(
      () => res.writeHead(201).end('{}'),
      () => res.writeHead(500).end(),
    );
  });
}

/** A plain HTTPS static server for one file with single-range support: the baseline. */
function staticServer(file: string, size: number, tls: { key: string; cert: string }): https.Server {
  return https.createServer(tls, (req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': size });
      createReadStream(file).pipe(res);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), size - 1);
    res.writeHead(206, {
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${size}`,
    });
    createReadStream(file, { start, end }).pipe(res);
  });
}

export async function benchUpload(): Promise<Record<string, number>> {
  const bytes = SIZE_MB * MB;
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-upload-'));
  const key = 'mediary_bench_key_0123456789abcdef';
  const apiPort = await freePort();
  const deliveryPort = await freePort();
  const server = await startChild(
    process.execPath,
    ['bin/mediary.js', 'start'],
    {
      MEDIARY_DATA_DIR: dataDir,
      MEDIARY_INITIAL_API_KEY: key,
      MEDIARY_PORT: String(apiPort),
      MEDIARY_DELIVERY_PORT: String(deliveryPort),
      MEDIARY_LOG_LEVEL: 'warn',
      // the automatic poster of the upload would be work the raw baseline does not do
      MEDIARY_AUTO_POSTER: 'false',
      MEDIARY_WORKER_CONCURRENCY: '0',
      MEDIARY_MAX_UPLOAD_BYTES: String(bytes + MB),
    },
    /TLS: self-signed/,
  );
  const pid = server.pid as number;
  const cert = readFileSync(join(dataDir, 'tls', 'cert.pem'), 'utf8');
  const tlsKey = readFileSync(join(dataDir, 'tls', 'key.pem'), 'utf8');
  const agent = new https.Agent({ ca: cert, keepAlive: true, maxSockets: RANGE_PARALLEL });
  const results: Record<string, number> = {};
  try {
    const projectsDir = join(dataDir, 'blobs');
    // warm up: one small upload so that lazy imports and pools are in place before the idle reading
    const warm = await put(`https://localhost:${deliveryPort}/${await projectId()}/warm.wav`, agent, key, MB);
    if (warm.status !== 201) throw new Error(`warm-up upload: HTTP ${warm.status} ${warm.body}`);
    const idle = rssOf(pid);

    // 1. baseline: the same bytes through a plain write stream onto the same disk
    const plainFile = join(dataDir, 'plain.bin');
    let t0 = process.hrtime.bigint();
    await pipeline(wavStream(bytes), createWriteStream(plainFile));
    const plainMBs = SIZE_MB / (Number(process.hrtime.bigint() - t0) / 1e9);
    await rm(plainFile);

    // 1b. the transport alone: a plain Node HTTPS server writing the body to the same disk
    const sinkPort = await freePort();
    const sink = sinkServer(plainFile, { key: tlsKey, cert });
    await new Promise<void>((r) => sink.listen(sinkPort, '127.0.0.1', r));
    t0 = process.hrtime.bigint();
    const sunk = await put(`https://localhost:${sinkPort}/x`, agent, key, bytes);
    const sinkMBs = SIZE_MB / (Number(process.hrtime.bigint() - t0) / 1e9);
    await new Promise<void>((r) => sink.close(() => r()));
    if (sunk.status !== 201) throw new Error(`plain HTTPS sink: HTTP ${sunk.status}`);
    await rm(plainFile);

    // 2. PUT through the server, with its RSS sampled meanwhile
    const sampler = sampleRss(pid);
    t0 = process.hrtime.bigint();
    const up = await put(
      `https://localhost:${deliveryPort}/${await projectId()}/bench/big.wav`,
      agent,
      key,
      bytes,
    );
    const putSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const peak = sampler.stop();
    if (up.status !== 201) throw new Error(`upload: HTTP ${up.status} ${up.body}`);
    const file = JSON.parse(up.body) as { id: string; url: string };
    const putMBs = SIZE_MB / putSeconds;

    // 3. Range GETs: delivery port vs a static server on the very same blob file
    const blob = await findBlob(projectsDir, file.id);
    const size = (await stat(blob)).size;
    const staticPort = await freePort();
    const plain = staticServer(blob, size, { key: tlsKey, cert });
    await new Promise<void>((r) => plain.listen(staticPort, '127.0.0.1', r));
    const rangeSampler = sampleRss(pid);
    const deliveryRange = await rangeThroughput(file.url.replace('127.0.0.1', 'localhost'), agent, size);
    const rangePeak = rangeSampler.stop();
    const staticRange = await rangeThroughput(`https://localhost:${staticPort}/file`, agent, size);
    await new Promise<void>((r) => plain.close(() => r()));

    Object.assign(results, {
      size_mb: SIZE_MB,
      plain_write_mb_s: plainMBs,
      plain_https_put_mb_s: sinkMBs,
      put_mb_s: putMBs,
      put_ratio: putMBs / plainMBs,
      idle_rss_mb: idle / MB,
      peak_rss_mb: peak / MB,
      rss_above_idle_mb: (peak - idle) / MB,
      range_delivery_mb_s: deliveryRange,
      range_static_mb_s: staticRange,
      range_ratio: deliveryRange / staticRange,
      range_rss_above_idle_mb: (rangePeak - idle) / MB,
    });
    const out = (s: string) => process.stdout.write(`${s}\n`);
    out(`upload of ${SIZE_MB} MB (HTTPS PUT → File + Media) vs plain write stream, same disk:`);
    out(`  plain write      ${fmt(plainMBs, 1)} MB/s`);
    out(
      `  plain HTTPS PUT  ${fmt(sinkMBs, 1)} MB/s   (Node https server piping to a file: the transport ceiling)`,
    );
    out(
      `  PUT (delivery)   ${fmt(putMBs, 1)} MB/s   ratio ${fmt(putMBs / plainMBs, 2)} to plain write, ${fmt(putMBs / sinkMBs, 2)} to plain HTTPS`,
    );
    out(
      `  server RSS       idle ${fmt(idle / MB, 1)} MB, peak ${fmt(peak / MB, 1)} MB, +${fmt((peak - idle) / MB, 1)} MB`,
    );
    out(`Range GET (${RANGE_MB} MB ranges, ${RANGE_PARALLEL} in parallel) of the same file:`);
    out(`  static server    ${fmt(staticRange, 1)} MB/s`);
    out(`  delivery         ${fmt(deliveryRange, 1)} MB/s   ratio ${fmt(deliveryRange / staticRange, 2)}`);
    out(`  server RSS       +${fmt((rangePeak - idle) / MB, 1)} MB above idle`);
  } finally {
    agent.destroy();
    await stopChild(server);
    await rm(dataDir, { recursive: true, force: true });
  }
  return results;

  async function projectId(): Promise<string> {
    const res = await new Promise<string>((resolve, reject) => {
      https
        .get(
          `https://localhost:${apiPort}/project/settings`,
          { agent, headers: { authorization: `Bearer ${key}`, 'accept-version': '2025-08-20' } },
          (r) => {
            let body = '';
            r.on('data', (d) => {
              body += d;
            });
            r.on('end', () => resolve(body));
          },
        )
        .on('error', reject);
    });
    return (JSON.parse(res) as { project_id: string }).project_id;
  }
}

async function findBlob(root: string, fileId: string): Promise<string> {
  for (const project of await readdir(root)) {
    const p = join(root, project, fileId);
    try {
      await stat(p);
      return p;
    } catch {}
  }
  throw new Error(`blob of ${fileId} not found under ${root}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchUpload();
}
