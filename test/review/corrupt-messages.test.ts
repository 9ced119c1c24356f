// Hostile review 5.5 (leftovers): a media_corrupt message must not show an internal temp file name
// (`ingest-…`, `put-…`, /tmp/, the data dir), whatever the broken format and however the file arrived
// (POST /files with a URL, or a PUT upload).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeliveryTestApp, startDeliveryTestApp } from '../helpers/delivery.js';
import { type MediaServer, startMediaServer } from '../helpers/fixtures.js';

const run = promisify(execFile);
const leak = /ingest-|put-|upload-|assembled-|\/tmp\/|mediary-|\/work\/|\.part\b/;

describe('media_corrupt messages name no internal file', () => {
  let t: DeliveryTestApp;
  let dir: string;
  let server: MediaServer;
  const cases: Record<string, Buffer> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mediary-corrupt-'));
    const mp4 = join(dir, 'full.mp4');
    await run('ffmpeg', [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25', '-t', '3'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', mp4],
    ]);
    const full = await readFile(mp4);
    // moov at the end (no faststart): the head alone has no index
    cases['truncated.mp4'] = full.subarray(0, Math.floor(full.length / 3));
    cases['tail-cut.mp4'] = full.subarray(0, full.length - 200);
    cases['random.mp4'] = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251));
    cases['text.mp4'] = Buffer.from('hello, this is not a video\n'.repeat(50));
    cases['ftyp-only.mov'] = full.subarray(0, 64);
    cases['junk.webm'] = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(3000, 9)]);
    cases['junk.mp3'] = Buffer.concat([Buffer.from('ID3'), Buffer.alloc(3000, 0xff)]);
    cases['junk.wav'] = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVEfmt '), Buffer.alloc(300, 3)]);
    cases['junk.jpg'] = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 5)]);
    const files: Record<string, string> = {};
    for (const [name, bytes] of Object.entries(cases)) {
      files[name] = join(dir, name);
      await writeFile(files[name], bytes);
    }
    server = await startMediaServer(files);
    t = await startDeliveryTestApp({ db: 'sqlite', env: { MEDIARY_ALLOW_PRIVATE_URLS: 'true' } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('through POST /files (URL ingest) and PUT uploads', async () => {
    const seen: string[] = [];
    const bad: string[] = [];
    for (const [name, bytes] of Object.entries(cases)) {
      const viaUrl = await t.request('/files', { method: 'POST', body: { url: `${server.url}/${name}` } });
      const viaPut = await t.send(`/${t.projectId}/${name}`, { method: 'PUT', body: bytes, auth: true });
      for (const [how, r] of [
        ['url', viaUrl],
        ['put', viaPut],
      ] as const) {
        const text = JSON.stringify(r.json);
        seen.push(`${name} via ${how}: ${r.status} ${text}`);
        if (r.status < 400 || leak.test(text) || text.includes(t.dataDir)) {
          bad.push(`${name} via ${how}: ${r.status} ${r.json?.error?.message ?? r.json?.message ?? text}`);
        }
      }
    }
    expect(seen.length).toBe(Object.keys(cases).length * 2);
    expect(bad).toEqual([]);
  }, 120_000);
});
