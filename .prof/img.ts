import { performance } from 'node:perf_hooks';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageMetadata, verifyImage, transformImage } from '../src/media/image.ts';
import { sniffFile } from '../src/media/sniff.ts';
import { probeFile } from '../src/media/probe.ts';
const dir = await mkdtemp(join(tmpdir(), 'prof-'));
const path = join(dir, 'in.jpg');
await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#336699' } })
  .composite([{ input: Buffer.from('<svg width="640" height="360"><circle cx="320" cy="180" r="150" fill="#f80"/></svg>') }])
  .jpeg().toFile(path);
async function t(name: string, n: number, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 5; i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  console.log(name.padEnd(30), ((performance.now() - t0) / n).toFixed(3), 'ms');
}
const meta = await imageMetadata(path);
await t('sniff', 200, () => sniffFile(path));
await t('metadata', 200, () => imageMetadata(path));
await t('verifyImage', 200, () => verifyImage(path, meta));
await t('probeFile', 200, async () => probeFile(path, (await sniffFile(path))!, {}));
await t('transformImage', 200, (i) => transformImage(path, join(dir, `o${i}.webp`), { width: 320, format: 'webp' }));
await t('sharp raw', 200, () => sharp(path).rotate().resize({ width: 320 }).webp({ quality: 80 }).toBuffer());
await t('sharp raw toFile', 200, (i) => sharp(path).rotate().resize({ width: 320 }).webp({ quality: 80 }).toFile(join(dir, `p${i}.webp`)));
await t('probe output', 200, async (i) => probeFile(join(dir, `o${i}.webp`), (await sniffFile(join(dir, `o${i}.webp`)))!, {}));
