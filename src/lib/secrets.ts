// Secrets at rest: API keys are looked up by SHA-256 and kept AES-256-GCM encrypted (signed URLs are HMACs
// made with the key itself, so the server must be able to recover it, but never from a plain column).
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export class SecretBox {
  private readonly key: Buffer;
  constructor(secret: string) {
    // any length of configured secret → 32-byte key
    this.key = createHash('sha256').update(`mediary:${secret}`).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** A secret of its own for `label`, derived from the server secret (HMAC-SHA256), never stored. */
  derive(label: string): string {
    return createHmac('sha256', this.key).update(label, 'utf8').digest('base64url');
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1.')) throw new Error('unknown sealed format');
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

export interface ServerSecret {
  secret: string;
  /** where it came from: MEDIARY_SECRET, `{data dir}/secret.key`, or made just now (not yet saved) */
  source: 'configured' | 'file' | 'generated';
  /** the data dir file a generated secret goes to once the database has accepted it */
  file: string;
}

/** The configured secret, else the data dir's, else a new one; a new one is saved by saveGeneratedSecret(). */
export function readServerSecret(dataDir: string, configured?: string): ServerSecret {
  const file = join(dataDir, 'secret.key');
  if (configured) return { secret: configured, source: 'configured', file };
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), source: 'file', file };
  return { secret: randomBytes(32).toString('base64url'), source: 'generated', file };
}

/** Writes a generated secret into the data dir (mode 0600). */
export function saveGeneratedSecret(s: ServerSecret): void {
  if (s.source !== 'generated') return;
  mkdirSync(dirname(s.file), { recursive: true });
  writeFileSync(s.file, `${s.secret}\n`, { mode: 0o600, flag: 'wx' });
}

/** Removes a generated secret saved by this process (the database took another node's). */
export function discardGeneratedSecret(s: ServerSecret): void {
  if (s.source === 'generated') rmSync(s.file, { force: true });
}

/** The configured secret, or one generated into the data dir on first start (mode 0600). */
export function loadOrCreateSecret(dataDir: string, configured?: string): string {
  const s = readServerSecret(dataDir, configured);
  saveGeneratedSecret(s);
  return s.secret;
}

/**
 * What the database records about the secret: an HMAC of a constant, which tells nodes with the same secret
 * from others and says nothing about the secret itself.
 */
export function secretCheckValue(secret: string): string {
  return `v1.${createHmac('sha256', `mediary:${secret}`).update('mediary secret check').digest('base64url')}`;
}
