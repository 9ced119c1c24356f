import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Random bytes are drawn in blocks: one system call per ~100 ids instead of one per id (request ids are
// made on every request).
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function nextByte(): number {
  if (offset === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  return pool[offset++];
}

/** n random base62 characters, without modulo bias (bytes ≥ 248 are rejected). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    const b = nextByte();
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

export type IdPrefix =
  | 'file'
  | 'med'
  | 'task'
  | 'auto'
  | 'prj'
  | 'org'
  | 'key'
  | 'evt'
  | 'we'
  | 'req'
  | 'upl'
  | 'whd'
  | 'usr';

export function newId(prefix: IdPrefix, length = prefix === 'req' ? 20 : 16): string {
  return `${prefix}_${randomBase62(length)}`;
}

/** Accepts ids of any length (ittybit examples use 12 and 16), but only the expected prefix and alphabet. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && /^[A-Za-z0-9]{1,64}$/.test(value.slice(prefix.length + 1));
}
