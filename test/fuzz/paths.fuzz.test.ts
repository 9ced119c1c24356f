// encodePath's plain-path shortcut must answer exactly what encoding each segment answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePath } from '../../src/services/paths.js';

const slow = (p: string) => p.split('/').map(encodeURIComponent).join('/');

describe('encodePath', () => {
  it.each([
    ['prj_abc/file_123.webp', 'prj_abc/file_123.webp'],
    ["a/b-c_d.e!f~g*h'i(j)k", "a/b-c_d.e!f~g*h'i(j)k"],
    ['a b/c', 'a%20b/c'],
    ['x/%41/y', 'x/%2541/y'],
    ['caf\u00e9/\u{1F600}.png', 'caf%C3%A9/%F0%9F%98%80.png'],
    ['a?b#c&d', 'a%3Fb%23c%26d'],
    ['', ''],
    ['/', '/'],
  ])('%j → %j', (path, encoded) => {
    expect(encodePath(path)).toBe(encoded);
  });

  it('equals encodeURIComponent per segment for any string', () => {
    // whole code points (a lone surrogate is no storable path: encodeURIComponent throws on it either way)
    const chars = fc.constantFrom(...[...'aZ09-_.!~*\'()/ %?#&=+:@\u00e9\u{1F600}\\"<>']);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: chars })), (p) => {
        expect(encodePath(p)).toBe(slow(p));
      }),
      { numRuns: 2000 },
    );
  });
});
