// Authenticated GET /files/{id} over TLS against Fastify hello-worlds over TLS, same machine, same run.
// Each server runs in its own process; autocannon runs here. The arms alternate in rounds (the order
// rotating each round) so that load from elsewhere on the machine hits them alike; every arm reports
// requests/s and the server's CPU per request (user + system of its process, from /proc), as medians with
// min–max over the rounds. The CPU ratio is the median of per-round ratios against the hello-world that
// answers the same body (mediary's own response, serialized per request).
// BENCH_SECONDS (per arm per round, 3), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50); BENCH_SERVER_NODE_ARGS
// (node flags for the API server, e.g. --cpu-prof); BENCH_ARMS (comma-separated arm names, e.g. `files` to
// profile one path; the ratios need files and helloSame). The arm filesCold is the same route on a second
// server with MEDIARY_HOT_ROWS=false: the row read on every request, as while the database takes commits.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import sharp from 'sharp';
import { createContext } from '../src/app-context.js';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { loadConfig } from '../src/config.js';
import { loadTls } from '../src/http/tls.js';
import {
  fmt,
  freePort,
  loadAverage,
  median,
  processCpuMs,
  type SuiteResult,
  spread,
  startChild,
  stopChild,
} from './lib.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface Arm {
  name: string;
  url: string;
  headers: Record<string, string>;
  pid: number;
}

interface Sample {
  rps: number;
  /** server CPU per request, µs */
  cpuUs: number;
}

async function load(arm: Arm, seconds: number): Promise<Sample> {
  const cpu0 = processCpuMs(arm.pid);
  const result = await autocannon({
    url: arm.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: arm.headers,
    tlsOptions: { rejectUnauthorized: false },
  } as autocannon.Options);
  const cpuMs = processCpuMs(arm.pid) - cpu0;
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${arm.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return { rps: result.requests.average, cpuUs: (cpuMs * 1000) / result.requests.total };
}

export async function benchApi(): Promise<SuiteResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mediary-bench-'));
  const key = 'mediary_bench_key_0123456789abcdef';
  const env = {
    MEDIARY_DATA_DIR: dataDir,
    MEDIARY_INITIAL_API_KEY: key,
    MEDIARY_LOG_LEVEL: 'warn',
    MEDIARY_WORKER_CONCURRENCY: '0',
    MEDIARY_AUTO_POSTER: 'false',
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

  const server = async (port: number, extraEnv: Record<string, string> = {}) =>
    startChild(
      process.execPath,
      [
        // as `npm start` runs it; e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it
        ...SERVER_NODE_FLAGS,
        ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        'bin/mediary.js',
        'start',
        '--role',
        'api',
        '--port',
        String(port),
        '--delivery-port',
        String(await freePort()),
      ],
      { ...env, ...extraEnv },
      /mediary ready/,
    );
  const apiPort = await freePort();
  const api = await server(apiPort);
  // the same route reading its row every time (hot rows off: what every request costs while the database
  // takes commits), from a second server on the same database
  const coldPort = await freePort();
  const cold = await server(coldPort, { MEDIARY_HOT_ROWS: 'false' });
  const authHeaders = { authorization: `Bearer ${key}` };
  const filesUrl = `https://127.0.0.1:${apiPort}/files/${file.id}`;
  // mediary's own answer becomes the same-body baseline's
  const first = await fetchBody(filesUrl, authHeaders);
  const bodyPath = join(dataDir, 'body.json');
  await writeFile(bodyPath, first);
  const helloPort = await freePort();
  const hello = await startChild(
    process.execPath,
    [
      // the same V8 flags as mediary's server: the two sides differ only in what they do per request
      ...SERVER_NODE_FLAGS,
      'bin/run-ts.js',
      'bench/hello-server.ts',
      tls.certPath,
      join(dataDir, 'tls', 'key.pem'),
      String(helloPort),
      bodyPath,
    ],
    {},
    /ready/,
  );
  const allArms: Arm[] = [
    { name: 'hello', url: `https://127.0.0.1:${helloPort}/files/${file.id}`, headers: {}, pid: hello.pid! },
    {
      name: 'helloSame',
      url: `https://127.0.0.1:${helloPort}/same/${file.id}`,
      headers: {},
      pid: hello.pid!,
    },
    { name: 'files', url: filesUrl, headers: authHeaders, pid: api.pid! },
    { name: 'health', url: `https://127.0.0.1:${apiPort}/health`, headers: {}, pid: api.pid! },
    {
      name: 'filesCold',
      url: `https://127.0.0.1:${coldPort}/files/${file.id}`,
      headers: authHeaders,
      pid: cold.pid!,
    },
  ];
  const only = process.env.BENCH_ARMS?.split(',').map((a) => a.trim());
  const arms = only ? allArms.filter((a) => only.includes(a.name)) : allArms;
  const load0 = loadAverage();
  try {
    // warm every arm up so JIT and TLS session setup don't count
    for (const arm of arms) await load(arm, 1);
    const samples = new Map<string, Sample[]>(arms.map((a) => [a.name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < arms.length; i++) {
        const arm = arms[(i + r) % arms.length];
        samples.get(arm.name)!.push(await load(arm, DURATION));
      }
    }
    // an arm left out by BENCH_ARMS has no samples (its ratios print as NaN)
    const of = (name: string) => samples.get(name) ?? [];
    const perRound = (a: string, b: string, f: (s: Sample) => number) =>
      of(a).map((s, i) => (of(b)[i] ? f(s) / f(of(b)[i]) : Number.NaN));
    const cpuRatio = perRound('files', 'helloSame', (s) => s.cpuUs);
    const cpuRatioSmall = perRound('files', 'hello', (s) => s.cpuUs);
    const cpuRatioCold = perRound('filesCold', 'helloSame', (s) => s.cpuUs);
    const rpsRatio = perRound('files', 'helloSame', (s) => s.rps);
    const bytes = Buffer.byteLength(first);
    const label: Record<string, string> = {
      hello: 'fastify hello-world, ~40 B body',
      helloSame: `fastify hello-world, mediary's ${fmt(bytes)} B body`,
      files: 'mediary GET /files/{id} (auth, SQLite)',
      filesCold: '… MEDIARY_HOT_ROWS=false (a read each time)',
      health: 'mediary /health (no auth, no store)',
    };
    process.stdout.write(
      `\nAPI over TLS, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION} s per arm, arms rotating; ` +
        `load average ${load0} → ${loadAverage()}\n`,
    );
    for (const arm of arms) {
      process.stdout.write(
        `  ${label[arm.name].padEnd(48)} ${spread(
          of(arm.name).map((s) => s.rps),
          0,
          ' req/s',
        ).padEnd(32)} server CPU ${spread(
          of(arm.name).map((s) => s.cpuUs),
          1,
          ' µs/req',
        )}\n`,
      );
    }
    const floor = readFloor(join(dataDir, 'mediary.db'), auth!.projectId, file.id);
    process.stdout.write(
      `  the route's file read alone, prepared, in a loop: ${fmt(floor.rowUs, 2)} µs (of it the WAL read lock ` +
        `${fmt(floor.rowUs - floor.rowInTxUs, 2)} µs, the row's values ${fmt(floor.rowInTxUs - floor.idInTxUs, 2)} µs)\n` +
        `  CPU per request, mediary ÷ same-body hello-world: ${spread(cpuRatio, 2)} (aim ≤ 1.3); ` +
        `reading the row every time: ${spread(cpuRatioCold, 2)}\n` +
        `  req/s, mediary ÷ same-body hello-world: ${spread(rpsRatio, 2)}\n`,
    );
    const cpu = (n: string) => median(of(n).map((s) => s.cpuUs));
    const rps = (n: string) => median(of(n).map((s) => s.rps));
    return {
      helloRps: rps('hello'),
      helloSameRps: rps('helloSame'),
      filesRps: rps('files'),
      healthRps: rps('health'),
      helloCpuUs: cpu('hello'),
      helloSameCpuUs: cpu('helloSame'),
      filesCpuUs: cpu('files'),
      healthCpuUs: cpu('health'),
      filesColdCpuUs: cpu('filesCold'),
      cpuRatioCold: median(cpuRatioCold),
      cpuRatio: median(cpuRatio),
      cpuRatioSmallBody: median(cpuRatioSmall),
      summary: [
        [
          'API GET /files/{id}, server CPU per request',
          `${fmt(cpu('files'), 1)} µs`,
          `same-body hello ${fmt(cpu('helloSame'), 1)} µs`,
          `${spread(cpuRatio, 2)}× (aim ≤ 1.3)`,
        ],
        [
          '… the row read every time (MEDIARY_HOT_ROWS=false)',
          `${fmt(cpu('filesCold'), 1)} µs`,
          `same-body hello ${fmt(cpu('helloSame'), 1)} µs`,
          `${spread(cpuRatioCold, 2)}×`,
        ],
        [
          'API GET /files/{id}, requests/s',
          `${fmt(rps('files'))}/s`,
          `same-body hello ${fmt(rps('helloSame'))}/s`,
          `${spread(rpsRatio, 2)}×`,
        ],
      ],
    };
  } finally {
    await stopChild(api);
    await stopChild(cold);
    await stopChild(hello);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export interface ReadFloor {
  /** the file row (every column) by primary key, as the route reads it: its own read transaction */
  rowUs: number;
  /** the same read inside an open transaction: no WAL read lock taken per read */
  rowInTxUs: number;
  /** the id column alone inside a transaction: the lookup without the row's values */
  idInTxUs: number;
}

/**
 * What the route's file read costs at the least: the prepared statement in a tight loop (hot caches), on
 * the seeded database. The differences say where it goes: the WAL read lock every read outside a
 * transaction takes and drops (system calls), and making the row's values JavaScript values.
 */
export function readFloor(dbPath: string, projectId: string, fileId: string, n = 100_000): ReadFloor {
  const db = new SQLite(dbPath, { fileMustExist: true });
  try {
    const row = db.prepare('select * from files where project_id = ? and id = ?').raw();
    const id = db.prepare('select id from files where project_id = ? and id = ?').raw();
    const time = (f: () => void) => {
      f(); // warm
      const t0 = process.hrtime.bigint();
      f();
      return Number(process.hrtime.bigint() - t0) / 1000 / n;
    };
    const loop = (s: SQLite.Statement) => () => {
      for (let i = 0; i < n; i++) s.get(projectId, fileId);
    };
    const inTx = (s: SQLite.Statement) => () => db.transaction(loop(s))();
    const times = (f: () => void) => median([time(f), time(f), time(f)]);
    return { rowUs: times(loop(row)), rowInTxUs: times(inTx(row)), idInTxUs: times(inTx(id)) };
  } finally {
    db.close();
  }
}

/** One authenticated GET, its body as text. */
async function fetchBody(url: string, headers: Record<string, string>): Promise<string> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    request(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${res.statusCode}: ${body}`)),
      );
    })
      .on('error', reject)
      .end();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchApi();
}
