import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressBar, uploadFile } from '../../src/cli/upload.js';
import { loadConfig } from '../../src/config.js';
import { buildDeliveryApp } from '../../src/http/delivery/delivery-app.js';
import { loadTls } from '../../src/http/tls.js';
import { type DeliveryTestApp, freePort, startDeliveryTestApp, wav } from '../helpers/delivery.js';

const run = promisify(execFile);

describe('mediary upload', () => {
  let t: DeliveryTestApp;
  const lines: string[] = [];
  const progress = { write: (s: string) => lines.push(s) > 0, isTTY: false };

  beforeAll(async () => {
    t = await startDeliveryTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  // the CLI's view: the real API and delivery origins on localhost, the data dir's certificate
  const cliConfig = (deliveryOrigin = t.deliveryOrigin) =>
    loadConfig({
      MEDIARY_DATA_DIR: t.dataDir,
      MEDIARY_PUBLIC_URL: t.origin.replace('127.0.0.1', 'localhost'),
      MEDIARY_DELIVERY_URL: deliveryOrigin.replace('127.0.0.1', 'localhost'),
    });

  it('uploads a small file in one PUT, finding the project from the key', async () => {
    const file = join(t.dataDir, 'small.wav');
    await writeFile(file, wav(20_000));
    const result = (await uploadFile(cliConfig(), file, { key: t.key, folder: 'cli', progress })) as {
      id: string;
      url: string;
      filesize: number;
    };
    expect(result.filesize).toBe(20_000);
    expect(result.url).toBe(`${t.deliveryOrigin}/${t.projectId}/cli/small.wav`);
    expect(lines.join('')).toMatch(/100%.*19\.5 KB\/19\.5 KB.*\/s.*ETA/);
  });

  it('uploads a large file in parallel chunks and retries a failed one', async () => {
    // a second delivery listener on the same store whose first answer to one chunk is a 503
    const port = await freePort();
    const flaky = await buildDeliveryApp(t.ctx, { tls: await loadTls(t.config), logger: false });
    let failed = 0;
    flaky.addHook('onRequest', async (req, reply) => {
      if (String(req.headers['content-range']).startsWith('bytes 16384-') && failed++ === 0) {
        return reply.code(503).send({ error: { message: 'try again' } });
      }
    });
    await flaky.listen({ host: '127.0.0.1', port });
    try {
      const bytes = wav(100_000, 7);
      const file = join(t.dataDir, 'large.wav');
      await writeFile(file, bytes);
      lines.length = 0;
      const result = (await uploadFile(cliConfig(`https://127.0.0.1:${port}`), file, {
        key: t.key,
        project: t.projectId,
        filename: 'renamed.wav',
        chunkThreshold: 64 * 1024,
        chunkSize: 16 * 1024,
        retryDelayMs: 10,
        progress,
      })) as { filename: string; filesize: number };
      expect(failed).toBe(2);
      expect(result).toMatchObject({ filename: 'renamed.wav', filesize: bytes.length });
      expect((await t.send(`/${t.projectId}/renamed.wav`)).body.equals(bytes)).toBe(true);
      expect(lines.at(-1)).toMatch(/7 chunks/);
    } finally {
      await flaky.close();
    }
  });

  it('fails clearly without a key or with a bad one', async () => {
    const file = join(t.dataDir, 'small.wav');
    await expect(uploadFile(cliConfig(), file, { progress })).rejects.toThrow(/API key/);
    await expect(
      uploadFile(cliConfig(), file, { key: 'mediary_wrong_key_000000', progress }),
    ).rejects.toThrow(/project/);
  });

  it('is wired into the mediary executable', async () => {
    const file = join(t.dataDir, 'exe.wav');
    await writeFile(file, wav(5_000));
    const { stdout } = await run(
      process.execPath,
      ['bin/mediary.js', 'upload', file, '--folder', 'exe', '--project', t.projectId],
      {
        env: {
          ...process.env,
          MEDIARY_API_KEY: t.key,
          MEDIARY_DATA_DIR: t.dataDir,
          MEDIARY_DELIVERY_URL: t.deliveryOrigin.replace('127.0.0.1', 'localhost'),
          MEDIARY_PUBLIC_URL: t.origin.replace('127.0.0.1', 'localhost'),
          MEDIARY_DATABASE_URL: t.config.databaseUrl,
        },
      },
    );
    expect(JSON.parse(stdout)).toMatchObject({ folder: 'exe', filename: 'exe.wav', filesize: 5_000 });
  });

  it('draws bytes, rate and ETA', () => {
    const out: string[] = [];
    const bar = new ProgressBar(10 * 1024 * 1024, { write: (s) => out.push(s) > 0, isTTY: true });
    bar.add(5 * 1024 * 1024);
    expect(out.join('')).toMatch(/\[#{12}-{12}\]\s+50%\s+5\.0 MB\/10\.0 MB\s+[\d.]+ [KMG]?B\/s\s+ETA \S+/);
  });
});
