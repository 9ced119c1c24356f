// Readiness (GET /ready) and the checks `mediary doctor` prints: can this node reach its database, its blob
// store and ffmpeg. Each check is bounded in time, so a hung dependency makes /ready fail rather than hang.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config.js';
import { ffmpegEncoders, getMediaTools } from '../media/ffmpeg.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const CHECK_TIMEOUT_MS = 3000;
/** the encoders the task kinds use when they are there (docs/tasks.md) */
const ENCODERS = [
  'libx264',
  'libx265',
  'libsvtav1',
  'libaom-av1',
  'libvpx-vp9',
  'aac',
  'libopus',
  'libmp3lame',
];

async function bounded(name: string, fn: () => Promise<string>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    return { name, ok: true, detail: await Promise.race([fn(), timeout]) };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthDeps {
  config: Config;
  /** one cheap query */
  pingDatabase: () => Promise<string>;
  blobs: BlobStore;
}

export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  /** database, storage, ffmpeg: what a node needs to serve requests and run tasks. */
  async ready(): Promise<{ ok: boolean; checks: Check[] }> {
    const { blobs } = this.deps;
    const checks = await Promise.all([
      bounded('database', this.deps.pingDatabase),
      bounded('storage', async () => {
        // a key no file ever has: "not there" is the answer that proves the store answers
        await blobs.stat('health/ready-check');
        return `${blobs.kind} reachable`;
      }),
      bounded('ffmpeg', async () => {
        const t = await getMediaTools();
        return `${t.ffmpegPath}, ${t.ffprobePath}`;
      }),
    ]);
    return { ok: checks.every((c) => c.ok), checks };
  }

  /** The readiness checks plus encoders, TLS certificate expiry and disk free, for `mediary doctor`. */
  async doctor(): Promise<Check[]> {
    const { config } = this.deps;
    const checks = (await this.ready()).checks;
    checks.push(
      await bounded('encoders', async () => {
        const have = await ffmpegEncoders();
        const missing = ENCODERS.filter((e) => !have.has(e));
        const found = ENCODERS.filter((e) => have.has(e));
        if (!found.includes('libx264') || !found.includes('aac')) {
          throw new Error(`missing libx264 or aac (found: ${found.join(', ') || 'none'})`);
        }
        return `${found.join(', ')}${missing.length ? ` (not in this build: ${missing.join(', ')})` : ''}`;
      }),
    );
    checks.push(
      await bounded('tls', async () => {
        if (config.trustProxy) return 'terminated by the proxy (MEDIARY_TRUST_PROXY)';
        const path = config.tlsCert ?? join(config.dataDir, 'tls', 'cert.pem');
        if (!existsSync(path)) return 'not generated yet (made at first start)';
        const cert = new X509Certificate(readFileSync(path));
        const days = Math.floor((Date.parse(cert.validTo) - Date.now()) / 86_400_000);
        if (days < 0) throw new Error(`${path} expired on ${cert.validTo}`);
        if (days < 14) throw new Error(`${path} expires in ${days} days (${cert.validTo})`);
        return `${path} valid for ${days} more days`;
      }),
    );
    checks.push(
      await bounded('disk', async () => {
        const s = await statfs(config.dataDir);
        const free = s.bavail * s.bsize;
        const pct = s.blocks > 0 ? Math.round((s.bavail / s.blocks) * 100) : 0;
        const text = `${(free / 1e9).toFixed(1)} GB free (${pct}%) at ${config.dataDir}`;
        if (free < 1e9 || pct < 5) throw new Error(`only ${text}`);
        return text;
      }),
    );
    return checks;
  }
}
