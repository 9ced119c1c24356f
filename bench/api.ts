// Authenticated GET /files/{id} over TLS against a Fastify hello-world over TLS, same machine, same run.
// Both servers run in their own process; autocannon runs here. Prints requests/s and the ratio.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { createContext } from '../src/app-context.js';
import { loadConfig } from '../src/config.js';
import { loadTls } from '../src/http/tls.js';
import { fmt, freePort, startChild, stopChild } from './lib.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function load(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
    tlsOptions: { rejectUnauthorized: false },
  } as autocannon.Options);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return result.requests.average;
}

export async function benchApi(): Promise<Record<string, number>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-'));
  const key = 'mediary_bench_key_0123456789abcdef';
  const env = {
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_INITIAL_API_KEY: key,
    MEDIARY_LOG_LEVEL: 'warn',
    MEDIARY_WORKER_CONCURRENCY: '0',
  };
  // Seed one file through the real ingest path, then hand the data dir to the server process.
  const config = loadConfig(env);
  const ctx = await createContext(config);
  await ctx.projects.bootstrap(key);
  const auth = await ctx.projects.authenticate(key);
  const png = join(dataDir, 'seed.png');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } })
    .png()
    .toFile(png);
  const file = await ctx.ingest.ingestLocalFile({ projectId: auth!.projectId }, png, {
    createdBy: auth!.keyId,
  });
  const tls = await loadTls(config);
  await ctx.close();

  const helloPort = await freePort();
  const apiPort = await freePort();
  const tsx = ['bin/run-ts.js'];
  const hello = await startChild(
    process.execPath,
    [...tsx, 'bench/hello-server.ts', tls.certPath, join(dataDir, 'tls', 'key.pem'), String(helloPort)],
    {},
    /ready/,
  );
  const api = await startChild(
    process.execPath,
    [
      'bin/mediary.js',
      'start',
      '--role',
      'api',
      '--port',
      String(apiPort),
      '--delivery-port',
      String(await freePort()),
    ],
    env,
    /mediary ready/,
  );
  try {
    // warm both up so JIT and TLS session setup don't count
    await load(`https://127.0.0.1:${helloPort}/files/${file.id}`, {}).catch(() => 0);
    const baseline = await load(`https://127.0.0.1:${helloPort}/files/${file.id}`, {});
    await load(`https://127.0.0.1:${apiPort}/files/${file.id}`, { authorization: `Bearer ${key}` }).catch(
      () => 0,
    );
    const mediary = await load(`https://127.0.0.1:${apiPort}/files/${file.id}`, {
      authorization: `Bearer ${key}`,
    });
    // the same server without auth and store: what the framework setup itself costs
    const health = await load(`https://127.0.0.1:${apiPort}/health`, {});
    const ratio = mediary / baseline;
    process.stdout.write(
      `\nAPI: authenticated GET /files/{id} over TLS (${CONNECTIONS} connections, ${DURATION} s each)\n` +
        `  fastify hello-world: ${fmt(baseline)} req/s\n` +
        `  mediary            : ${fmt(mediary)} req/s\n` +
        `  mediary /health    : ${fmt(health)} req/s (no auth, no store: ${fmt(health / baseline, 2)} of hello-world)\n` +
        `  ratio              : ${fmt(ratio, 2)} (aim ≥ 0.5)\n`,
    );
    return { baseline, mediary, health, ratio };
  } finally {
    await stopChild(api);
    await stopChild(hello);
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchApi();
}
