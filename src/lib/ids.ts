import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** n random base62 characters, without modulo bias (bytes ≥ 248 are rejected). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === n) break;
    }
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
  | 'whd';

export function newId(prefix: IdPrefix, length = prefix === 'req' ? 20 : 16): string {
  return `${prefix}_${randomBase62(length)}`;
}

/** Accepts ids of any length (ittybit examples use 12 and 16), but only the expected prefix and alphabet. */
export function isId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && /^[A-Za-z0-9]{1,64}$/.test(value.slice(prefix.length + 1));
}
