// `mediary upload FILE`: sends a file to the delivery host over HTTPS with an API key, as an app would (spec
// §9): one PUT for small files, resumable 8 MB chunks with Content-Range for large ones (several in flight,
// each retried on failure). A progress bar goes to stderr, the File JSON to stdout.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import https from 'node:https';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { encodePath } from '../services/paths.js';

const MB = 1024 * 1024;

export interface UploadCliOptions {
  folder?: string;
  filename?: string;
  project?: string;
  key?: string;
  /** files this large or larger go in chunks */
  chunkThreshold?: number;
  chunkSize?: number;
  parallel?: number;
  retries?: number;
  /** where progress goes (stderr by default) */
  progress?: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
  /** first retry delay; doubles each time */
  retryDelayMs?: number;
}

interface Reply {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON
  json: any;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isLocal(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

/** The data dir's self-signed certificate is trusted for localhost targets; anything else uses the system CAs. */
export function trustFor(config: Config, url: string): string | undefined {
  if (!isLocal(new URL(url).hostname)) return undefined;
  const path = config.tlsCert ?? join(config.dataDir, 'tls', 'cert.pem');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function request(
  url: string,
  agent: https.Agent,
  opts: { method: string; headers: Record<string, string>; file?: string; start?: number; end?: number },
  onBytes: (n: number) => void = () => {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method, headers: opts.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!opts.file) {
      req.end();
      return;
    }
    const body = createReadStream(opts.file, { start: opts.start, end: opts.end });
    body.on('data', (c) => onBytes(c.length));
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
  });
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * MB) return `${(bytes / MB).toFixed(1)} MB`;
  return `${(bytes / 1024 / MB).toFixed(2)} GB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** Bytes, rate and ETA on one line, redrawn at most ten times a second (or a line per quarter off a TTY). */
export class ProgressBar {
  private sent = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private lastQuarter = -1;
  constructor(
    private readonly total: number,
    private readonly out: { write(s: string): boolean; isTTY?: boolean },
  ) {}

  add(n: number): void {
    this.sent += n;
    this.draw(false);
  }

  /** a failed chunk's bytes are sent again */
  remove(n: number): void {
    this.sent = Math.max(0, this.sent - n);
  }

  line(): string {
    const elapsed = Math.max(0.001, (Date.now() - this.started) / 1000);
    const rate = this.sent / elapsed;
    const pct = this.total ? Math.min(100, (this.sent / this.total) * 100) : 100;
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const eta = rate > 0 ? (this.total - this.sent) / rate : Number.POSITIVE_INFINITY;
    return `[${bar}] ${pct.toFixed(0).padStart(3)}%  ${human(this.sent)}/${human(this.total)}  ${human(rate)}/s  ETA ${duration(eta)}`;
  }

  draw(force: boolean): void {
    const now = Date.now();
    if (this.out.isTTY) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.out.write(`\r${this.line()}\x1b[K`);
      return;
    }
    const quarter = Math.floor((this.sent / Math.max(1, this.total)) * 4);
    if (force || quarter > this.lastQuarter) {
      this.lastQuarter = quarter;
      this.out.write(`${this.line()}\n`);
    }
  }

  done(note: string): void {
    this.draw(true);
    this.out.write(`${this.out.isTTY ? '\n' : ''}${note}\n`);
  }
}

function errorMessage(r: Reply): string {
  return r.json?.error?.message ?? r.json?.message ?? (r.text.trim() || `HTTP ${r.status}`);
}

function retryable(err: unknown): boolean {
  if (err instanceof HttpError) return err.status >= 500 || err.status === 408 || err.status === 429;
  return true; // network errors
}

async function withRetries<T>(retries: number, delayMs: number, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retries || !retryable(err)) throw err;
      await new Promise((r) => setTimeout(r, delayMs * 2 ** attempt));
    }
  }
}

/** Uploads a file and returns the server's File object (G3 shape). */
export async function uploadFile(config: Config, file: string, opts: UploadCliOptions): Promise<unknown> {
  if (!opts.key) throw new Error('an API key is needed: --key KEY or MEDIARY_API_KEY');
  const { size } = await stat(file);
  if (size === 0) throw new Error(`${file} is empty`);
  const ca = trustFor(config, config.deliveryUrl);
  const agent = new https.Agent({ ca, keepAlive: true, maxSockets: opts.parallel ?? 3 });
  const base = { authorization: `Bearer ${opts.key}`, 'accept-version': '2025-08-20' };
  try {
    let project = opts.project;
    if (!project) {
      const apiAgent = new https.Agent({ ca: trustFor(config, config.publicUrl) });
      const r = await request(`${config.publicUrl}/project/settings`, apiAgent, {
        method: 'GET',
        headers: base,
      });
      apiAgent.destroy();
      if (r.status !== 200) throw new Error(`could not find the key's project: ${errorMessage(r)}`);
      project = r.json.project_id as string;
    }
    const filename = opts.filename ?? basename(file);
    const path = [opts.folder, filename].filter(Boolean).join('/');
    const url = `${config.deliveryUrl}/${project}/${encodePath(path.replace(/^\/+/, ''))}`;
    const progress = new ProgressBar(size, opts.progress ?? process.stderr);
    const retries = opts.retries ?? 5;
    const delay = opts.retryDelayMs ?? 1000;

    /** PUTs the file, or the bytes start…end of it, retried; a failed try takes its bytes off the bar. */
    const put = (headers: Record<string, string>, range: { start?: number; end?: number }, ok: number[]) =>
      withRetries(retries, delay, async () => {
        let sent = 0;
        try {
          const res = await request(
            url,
            agent,
            {
              method: 'PUT',
              headers: { ...base, 'content-type': 'application/octet-stream', ...headers },
              file,
              ...range,
            },
            (n) => {
              sent += n;
              progress.add(n);
            },
          );
          if (!ok.includes(res.status)) throw new HttpError(res.status, errorMessage(res));
          return res;
        } catch (err) {
          progress.remove(sent);
          throw err;
        }
      });

    if (size < (opts.chunkThreshold ?? 16 * MB)) {
      const r = await put({ 'content-length': String(size) }, {}, [201]);
      progress.done('uploaded');
      return r.json;
    }

    const chunk = opts.chunkSize ?? 8 * MB;
    const ranges: [number, number][] = [];
    for (let s = 0; s < size; s += chunk) ranges.push([s, Math.min(size, s + chunk) - 1]);
    // every chunk but the last goes first, in parallel; the last one completes the file and gets the File
    const last = ranges.pop() as [number, number];
    let next = 0;
    const sendChunk = ([start, end]: [number, number]) =>
      put(
        { 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` },
        { start, end },
        [202, 201, 200],
      );
    const workers = Array.from({ length: Math.max(1, opts.parallel ?? 3) }, async () => {
      while (next < ranges.length) await sendChunk(ranges[next++]);
    });
    await Promise.all(workers);
    const final = await sendChunk(last);
    if (final.status !== 201 && final.status !== 200) {
      throw new Error(`the server did not finish the upload (HTTP ${final.status}): ${errorMessage(final)}`);
    }
    progress.done(`uploaded in ${ranges.length + 1} chunks`);
    return final.json;
  } finally {
    agent.destroy();
  }
}

export async function uploadCommand(
  config: Config,
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      folder: { type: 'string' },
      filename: { type: 'string' },
      project: { type: 'string' },
      key: { type: 'string' },
    },
  });
  const [, file] = positionals;
  if (!file) {
    process.stderr.write(
      'usage: mediary upload FILE [--folder F] [--filename N] [--project P] [--key KEY]\n',
    );
    return 1;
  }
  try {
    const result = await uploadFile(config, file, {
      folder: values.folder as string | undefined,
      filename: values.filename as string | undefined,
      project: values.project as string | undefined,
      key: (values.key as string | undefined) ?? env.MEDIARY_API_KEY,
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`\nmediary upload: ${(err as Error).message}\n`);
    return 1;
  }
}
