import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { AudioTaskOptions } from '../../src/runners/audio.runner.js';
import { ImageTaskOptions } from '../../src/runners/image.runner.js';
import { BUILT_IN_KINDS } from '../../src/runners/registry.js';
import { ThumbnailsTaskOptions } from '../../src/runners/thumbnails.runner.js';
import { VideoTaskOptions } from '../../src/runners/video.runner.js';

type Case = [string, Record<string, unknown>];

function table(schema: TSchema, valid: Case[], invalid: Array<[...Case, string]>) {
  it.each(valid)('accepts %s', (_, payload) => {
    expect([...Value.Errors(schema, payload)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
  });
  it.each(invalid)('refuses %s', (_, payload, path) => {
    expect(Value.Check(schema, payload)).toBe(false);
    expect(Value.Errors(schema, payload).First()?.path).toBe(path);
  });
}

describe('video options', () => {
  table(
    VideoTaskOptions,
    [
      ['nothing', {}],
      ['pixel size', { width: 1920, height: 1080, fit: 'cover', position: 'top-left' }],
      ['percent size', { width: '50%' }],
      ['contain + background', { width: 640, height: 640, fit: 'contain', background: '#20B075' }],
      ['format and codec', { format: 'webm', codec: 'vp9', fps: 29.97 }],
      ['quality number', { quality: 75 }],
      ['quality level', { quality: 'very_high', bitrate: 2_500_000 }],
      ['trim and no audio', { start: 1.5, end: 10, no_audio: true }],
      ['output naming', { ref: 'web', folder: 'a/b', filename: 'x.mp4' }],
    ],
    [
      ['width 0', { width: 0 }, '/width'],
      ['width too big', { width: 9000 }, '/width'],
      ['fractional width', { width: 100.5 }, '/width'],
      ['width "0%"', { width: '0%' }, '/width'],
      ['width "abc"', { width: 'abc' }, '/width'],
      ['unknown fit', { fit: 'stretch' }, '/fit'],
      ['unknown position', { position: 'middle-ish' }, '/position'],
      ['background not hex', { background: 'green' }, '/background'],
      ['fps 0', { fps: 0 }, '/fps'],
      ['fps 61', { fps: 61 }, '/fps'],
      ['format avi', { format: 'avi' }, '/format'],
      ['codec mpeg2', { codec: 'mpeg2' }, '/codec'],
      ['quality 0', { quality: 0 }, '/quality'],
      ['quality "ultra"', { quality: 'ultra' }, '/quality'],
      ['bitrate too low', { bitrate: 1000 }, '/bitrate'],
      ['negative start', { start: -1 }, '/start'],
      ['no_audio as text', { no_audio: 'yes' }, '/no_audio'],
      ['unknown option', { colour: 'red' }, '/colour'],
      ['ref not a string', { ref: 5 }, '/ref'],
    ],
  );
});

describe('image options', () => {
  table(
    ImageTaskOptions,
    [
      ['nothing', {}],
      ['resize', { width: 300, height: '10%', fit: 'contain', background: '#fff' }],
      ['formats', { format: 'avif', quality: 50 }],
      ['jpg alias', { format: 'jpg', quality: 'low' }],
      ['gif', { format: 'gif' }],
      ['video frame', { start: 1 }],
    ],
    [
      ['format bmp', { format: 'bmp' }, '/format'],
      ['quality 101', { quality: 101 }, '/quality'],
      ['negative start', { start: -0.1 }, '/start'],
      ['video-only option', { fps: 10 }, '/fps'],
    ],
  );
});

describe('audio options', () => {
  table(
    AudioTaskOptions,
    [
      ['nothing', {}],
      ['formats', { format: 'opus', bitrate: 96_000 }],
      ['lossless', { format: 'flac', start: 0, end: 3 }],
      ['quality level', { format: 'aac', quality: 'high' }],
    ],
    [
      ['format m4b', { format: 'm4b' }, '/format'],
      ['bitrate too high', { bitrate: 500_000 }, '/bitrate'],
      ['bitrate too low', { bitrate: 8000 }, '/bitrate'],
      ['width', { width: 100 }, '/width'],
    ],
  );
});

describe('thumbnails options', () => {
  table(
    ThumbnailsTaskOptions,
    [
      ['nothing', {}],
      ['count', { count: 9, width: 160, format: 'jpg' }],
      ['interval', { interval: 2.5, height: '25%', format: 'webp' }],
    ],
    [
      ['count 0', { count: 0 }, '/count'],
      ['count 101', { count: 101 }, '/count'],
      ['interval 0', { interval: 0 }, '/interval'],
      ['tile too wide', { width: 4000 }, '/width'],
      ['percent over 100', { width: '150%' }, '/width'],
      ['format avif', { format: 'avif' }, '/format'],
    ],
  );
});

describe('the kind table', () => {
  const media = BUILT_IN_KINDS.filter((k) => ['video', 'image', 'audio', 'thumbnails'].includes(k.kind));

  it('registers the four media kinds', () => {
    expect(media.map((k) => k.kind)).toEqual(['video', 'image', 'audio', 'thumbnails']);
  });

  it.each(media.map((k) => [k.kind, k] as const))('%s: every option is described and closed', (_, def) => {
    expect(def.options.additionalProperties).toBe(false);
    expect(def.description.length).toBeGreaterThan(20);
    for (const [name, prop] of Object.entries(def.options.properties as Record<string, TSchema>)) {
      expect(prop.description, name).toBeTruthy();
      // a default must itself be a valid value
      if (prop.default !== undefined) expect(Value.Check(prop, prop.default), name).toBe(true);
    }
  });
});
